// Library folders generated at test time (no media in the repository): images of distinct colours and
// shapes (PNG and JPEG), texts, image + caption pairs, short videos and one of three minutes, broken
// files, and files the index must leave out (hidden ones, other kinds).
// The long video is 64×48 at one frame every 10 s: however small, every video frame is enlarged to the
// official minimum of 128·32·32 pixels (560 patches) before the vision tower, so what keeps a segment
// cheap is few frames, not few pixels.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodeJpeg, encodePng } from '../media/fixtures.ts';

type Rgb = [number, number, number];
type Shape = 'disc' | 'square' | 'stripes' | 'cross' | 'triangle' | 'ring';

const COLOURS: [string, Rgb][] = [
  ['red', [220, 30, 30]],
  ['green', [30, 180, 60]],
  ['blue', [30, 60, 220]],
  ['yellow', [240, 220, 40]],
  ['purple', [140, 40, 170]],
  ['orange', [250, 140, 20]],
  ['cyan', [40, 210, 220]],
  ['grey', [128, 128, 128]],
  ['black', [10, 10, 10]],
  ['white', [245, 245, 245]],
];
const SHAPES: Shape[] = ['disc', 'square', 'stripes', 'cross', 'triangle', 'ring'];

function inside(shape: Shape, x: number, y: number, size: number): boolean {
  const c = size / 2;
  const [dx, dy] = [x - c, y - c];
  const r = Math.hypot(dx, dy);
  switch (shape) {
    case 'disc':
      return r < size * 0.35;
    case 'ring':
      return r < size * 0.4 && r > size * 0.25;
    case 'square':
      return Math.abs(dx) < size * 0.3 && Math.abs(dy) < size * 0.3;
    case 'stripes':
      return Math.floor(x / (size / 8)) % 2 === 0;
    case 'cross':
      return Math.abs(dx) < size * 0.1 || Math.abs(dy) < size * 0.1;
    case 'triangle':
      return y > size * 0.2 && y < size * 0.8 && Math.abs(dx) < (y - size * 0.2) * 0.6;
  }
}

/** RGBA pixels: `fg` shape on `bg`. */
export function shapeImage(size: number, shape: Shape, fg: Rgb, bg: Rgb): Uint8Array {
  const out = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      out.set(inside(shape, x, y, size) ? fg : bg, (y * size + x) * 4);
      out[(y * size + x) * 4 + 3] = 255;
    }
  return out;
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

/** A 64×48 video at `fps` of solid-colour scenes (each `sceneSeconds` long), with a moving box so frames differ. */
export function sceneVideo(path: string, colours: string[], sceneSeconds: number, fps: number): void {
  const sources = colours.map((c, i) => `color=c=${c}:s=64x48:r=${fps}:d=${sceneSeconds}[c${i}]`);
  const boxes = colours.map((_, i) => `[c${i}]drawbox=x='mod(t*8,48)':y=${8 + i * 4}:w=12:h=12:c=white:t=fill[v${i}]`);
  const concat = `${colours.map((_, i) => `[v${i}]`).join('')}concat=n=${colours.length}:v=1:a=0[out]`;
  ffmpeg([
    '-filter_complex',
    [...sources, ...boxes, concat].join(';'),
    '-map',
    '[out]',
    ...H264,
    '-g',
    String(Math.max(1, fps * 10)),
    path,
  ]);
}

export interface LibraryFixture {
  root: string;
  /** Paths (relative) of every item the index should hold, by kind. */
  images: string[];
  captioned: { image: string; caption: string }[];
  texts: string[];
  videos: string[];
  longVideo: string;
  broken: string[];
  /** Files that are not items: hidden ones, other kinds, captions (they belong to their image). */
  ignored: string[];
  /** Files written, all kinds. */
  fileCount: number;
}

const TEXTS: [string, string][] = [
  ['notes/recipe.txt', 'Bake the bread at 220 degrees for forty minutes, then let it cool on a rack.'],
  ['notes/train.md', '# Timetable\n\nThe night train leaves Vienna at 22:10 and reaches Venice at dawn.'],
  ['notes/garden.txt', 'Tomatoes need sun, water at the roots, and a stake once they grow tall.'],
  ['notes/physics.txt', 'A pendulum swings with a period that depends on its length, not its mass.'],
  ['letters/dear.txt', 'Dear Anna, the weather here is cold but the mountains are beautiful.'],
  ['letters/invoice.md', 'Invoice 1042: two chairs, one table, delivery on Tuesday.'],
  ['poem.txt', 'The sea is calm tonight, the tide is full, the moon lies fair upon the straits.'],
  ['todo.md', '- buy milk\n- call the plumber\n- return the library books'],
];

/** Writes the library under `root` and says what is in it. */
export function makeLibrary(root: string): LibraryFixture {
  const write = (rel: string, bytes: Uint8Array | string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), bytes);
  };
  const fx: LibraryFixture = {
    root,
    images: [],
    captioned: [],
    texts: [],
    videos: [],
    longVideo: 'videos/long.mp4',
    broken: [],
    ignored: [],
    fileCount: 0,
  };

  // 20 images: every colour in two shapes, alternately PNG and JPEG, some in subfolders.
  for (let i = 0; i < 20; i++) {
    const [name, fg] = COLOURS[i % COLOURS.length];
    const bg = COLOURS[(i * 3 + 5) % COLOURS.length][1];
    const shape = SHAPES[i % SHAPES.length];
    const rgba = shapeImage(64, shape, fg, bg === fg ? [0, 0, 0] : bg);
    const png = i % 2 === 0;
    const rel = `${i < 10 ? 'photos' : 'photos/more'}/${String(i).padStart(2, '0')}-${name}-${shape}.${png ? 'png' : 'jpg'}`;
    write(rel, png ? encodePng(64, 64, rgba) : encodeJpeg(64, 64, rgba, 92));
    fx.images.push(rel);
  }
  // 4 images with a caption file of the same name.
  const pairs: [string, Shape, Rgb, string][] = [
    ['cat', 'disc', [200, 120, 40], 'An orange cat asleep on a round cushion.'],
    ['boat', 'triangle', [20, 40, 160], 'A sailing boat on a dark blue sea.'],
    ['field', 'stripes', [60, 160, 40], 'Rows of green wheat in a field.'],
    ['sign', 'cross', [230, 20, 20], 'A red cross on a white sign.'],
  ];
  for (const [name, shape, fg, caption] of pairs) {
    const image = `captioned/${name}.${name === 'boat' ? 'jpg' : 'png'}`;
    const rgba = shapeImage(64, shape, fg, [240, 240, 230]);
    write(image, image.endsWith('.jpg') ? encodeJpeg(64, 64, rgba) : encodePng(64, 64, rgba));
    write(`captioned/${name}.txt`, caption);
    fx.captioned.push({ image, caption: `captioned/${name}.txt` });
  }
  for (const [rel, text] of TEXTS) {
    write(rel, text);
    fx.texts.push(rel);
  }
  // Short videos (one item each) and the long one (segments).
  mkdirSync(join(root, 'videos'), { recursive: true });
  sceneVideo(join(root, 'videos/red-blue.mp4'), ['red', 'blue'], 2, 4);
  sceneVideo(join(root, 'videos/green.mp4'), ['green'], 3, 4);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=4:d=4', ...H264, join(root, 'videos/testsrc.mp4')]);
  sceneVideo(join(root, fx.longVideo), ['red', 'green', 'blue', 'yellow', 'purple', 'white'], 30, 0.1);
  fx.videos.push('videos/red-blue.mp4', 'videos/green.mp4', 'videos/testsrc.mp4', fx.longVideo);

  // Broken files: each fails alone, with its reason.
  const jpg = encodeJpeg(64, 64, shapeImage(64, 'disc', [1, 2, 3], [200, 200, 200]));
  write('broken/truncated.jpg', jpg.subarray(0, Math.floor(jpg.length / 3)));
  write('broken/not-a-video.mp4', 'this is plain text, not a video');
  write('broken/empty.png', new Uint8Array(0));
  fx.broken.push('broken/empty.png', 'broken/not-a-video.mp4', 'broken/truncated.jpg');

  // Not items.
  write('.DS_Store', 'x');
  write('.hidden/secret.png', encodePng(64, 64, shapeImage(64, 'disc', [0, 0, 0], [255, 255, 255])));
  write('photos/.thumb.jpg', jpg);
  write('README.pdf', '%PDF-1.4 not indexed');
  write('data.json', '{"not": "indexed"}');
  fx.ignored.push('.DS_Store', '.hidden/secret.png', 'photos/.thumb.jpg', 'README.pdf', 'data.json');

  fx.fileCount = fx.images.length + fx.captioned.length * 2 + fx.texts.length + fx.videos.length + fx.broken.length + fx.ignored.length;
  return fx;
}

/** The items (paths) an index of the fixture should hold, sorted. */
export function expectedItems(fx: LibraryFixture): string[] {
  return [...fx.images, ...fx.captioned.map((c) => c.image), ...fx.texts, ...fx.videos].sort();
}

/** A small library (9 items, one video of three segments with 16-second segments) for the runs that index it several times. */
export function makeSmallLibrary(root: string): { root: string; items: string[]; broken: string[]; segmented: string } {
  const write = (rel: string, bytes: Uint8Array | string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), bytes);
  };
  const items: string[] = [];
  for (let i = 0; i < 4; i++) {
    const [name, fg] = COLOURS[i];
    const rel = `img/${i}-${name}.${i % 2 ? 'jpg' : 'png'}`;
    const rgba = shapeImage(64, SHAPES[i % SHAPES.length], fg, COLOURS[(i + 4) % COLOURS.length][1]);
    write(rel, i % 2 ? encodeJpeg(64, 64, rgba) : encodePng(64, 64, rgba));
    items.push(rel);
  }
  write('img/cat.png', encodePng(64, 64, shapeImage(64, 'disc', [200, 120, 40], [240, 240, 230])));
  write('img/cat.txt', 'An orange cat asleep on a round cushion.');
  items.push('img/cat.png');
  for (const [rel, text] of TEXTS.slice(0, 2)) {
    write(rel, text);
    items.push(rel);
  }
  mkdirSync(join(root, 'vid'), { recursive: true });
  sceneVideo(join(root, 'vid/short.mp4'), ['blue', 'yellow'], 2, 2);
  sceneVideo(join(root, 'vid/scenes.mp4'), ['red', 'green', 'blue', 'yellow'], 8, 0.25); // 32 s, 8 frames
  items.push('vid/short.mp4', 'vid/scenes.mp4');
  write('broken/empty.png', new Uint8Array(0));
  return { root, items: items.sort(), broken: ['broken/empty.png'], segmented: 'vid/scenes.mp4' };
}
