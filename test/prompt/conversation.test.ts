import { describe, expect, it } from 'vitest';
import { buildRerankConversation, buildRerankConversations, mediaItems, SYSTEM_PROMPT } from '../../src/prompt/conversation.ts';
import { DEFAULT_CONVERSATION_OPTIONS, isImagePath, isVideoInput, normalizeSide, sampleFrames } from '../../src/prompt/request.ts';

describe('is_image_path / is_video_input', () => {
  it('reads the extension like os.path.splitext, of the URL path for http(s)', () => {
    for (const p of [
      'a.jpg',
      'A.JPEG',
      '/x/y.png',
      'f.gif',
      'f.bmp',
      'f.webp',
      'f.tiff',
      'f.svg',
      'https://h/p/x.png?s=1#f',
      'https://h/x.png;p',
      'x/.a.png',
    ]) {
      expect([p, isImagePath(p)]).toEqual([p, true]);
    }
    for (const p of ['a.mp4', 'a', '.png', 'x/..png', 'https://h?x.png', 'https://h/x.mp4?f=.png', 'https://h', 'a.tif', 'a.png.mp4']) {
      expect([p, isImagePath(p)]).toEqual([p, false]);
    }
  });

  it('one video: a string, or a list starting with an image path / image object', () => {
    expect(isVideoInput('clip.mp4')).toBe(true);
    expect(isVideoInput('frame.png')).toBe(true); // any string is one video
    expect(isVideoInput(['f1.jpg', 'f2.jpg'])).toBe(true);
    expect(isVideoInput([{ pixels: 1 }, { pixels: 2 }])).toBe(true); // like a list of PIL images
    expect(isVideoInput(['a.mp4', 'b.mp4'])).toBe(false); // a list of videos
    expect(isVideoInput([['f1.jpg'], ['f2.jpg']])).toBe(false);
    expect(isVideoInput([])).toBe(false);
    expect(isVideoInput(['f1.jpg', 'b.mp4'])).toBe(true); // only the first element decides
    expect(isVideoInput([{ type: 'video/mp4' }])).toBe(false); // video Blobs are videos, not frames
  });

  it('normalises a side to lists, videos per is_video_input', () => {
    expect(normalizeSide({ text: 'a', image: 'x.png', video: ['a.mp4', 'b.mp4'] })).toEqual({
      texts: ['a'],
      images: ['x.png'],
      videos: ['a.mp4', 'b.mp4'],
    });
    expect(normalizeSide({ video: ['f1.png', 'f2.png'] }).videos).toEqual([['f1.png', 'f2.png']]);
    expect(normalizeSide({ video: [] }).videos).toEqual([]);
    expect(() => normalizeSide({ text: 3 as unknown as string })).toThrow(TypeError);
  });
});

describe('sample_frames', () => {
  it('matches np.linspace(0, n - 1, m, dtype=int) (values from numpy 2.4, pasted)', () => {
    const idx = (n: number, m: number) =>
      sampleFrames(
        Array.from({ length: n }, (_, i) => i),
        m,
      );
    expect(idx(10, 3)).toEqual([0, 4, 9]);
    expect(idx(7, 2)).toEqual([0, 6]);
    expect(idx(5, 1)).toEqual([0]);
    expect(idx(3, 0)).toEqual([]);
    expect(idx(97, 10)).toEqual([0, 10, 21, 32, 42, 53, 64, 74, 85, 96]);
    expect(idx(65, 64)).toEqual([...Array.from({ length: 63 }, (_, i) => i), 64]);
    expect(idx(200, 33)).toEqual([
      0, 6, 12, 18, 24, 31, 37, 43, 49, 55, 62, 68, 74, 80, 87, 93, 99, 105, 111, 118, 124, 130, 136, 143, 149, 155, 161, 167, 174, 180,
      186, 192, 199,
    ]);
    expect(idx(1000, 64).slice(0, 10)).toEqual([0, 15, 31, 47, 63, 79, 95, 111, 126, 142]);
    expect(idx(129, 64).slice(30, 34)).toEqual([60, 62, 65, 67]);
    expect(idx(20, 64)).toHaveLength(20); // short lists are left alone
  });
});

describe('the message list', () => {
  it('has the reference structure, item fields included', () => {
    const conv = buildRerankConversation(
      { instruction: 'Find it.', query: { text: 'q', image: 'q.png' }, fps: 2, max_frames: 16 },
      { video: ['clip.mp4', Array.from({ length: 100 }, (_, i) => `f${i}.jpg`)], text: ['t1', 't2'] },
    );
    const o = DEFAULT_CONVERSATION_OPTIONS;
    expect(conv.messages[0]).toEqual({ role: 'system', content: [{ type: 'text', text: SYSTEM_PROMPT }] });
    const user = conv.messages[1];
    expect(user.role).toBe('user');
    expect(user.content.map((i) => i.type)).toEqual(['text', 'text', 'image', 'text', 'text', 'video', 'video', 'text', 'text']);
    expect(user.content[0]).toEqual({ type: 'text', text: '<Instruct>: Find it.' });
    expect(user.content[1]).toEqual({ type: 'text', text: '<Query>:' });
    expect(user.content[2]).toEqual({ type: 'image', image: 'q.png', min_pixels: 4096, max_pixels: 1843200 });
    expect(user.content[4]).toEqual({ type: 'text', text: '\n<Document>:' });
    // A video file carries the request's fps / max_frames (and, in Sift, the whole-video budget).
    expect(user.content[5]).toEqual({ type: 'video', video: 'clip.mp4', fps: 2, max_frames: 16, total_pixels: 7864320 });
    // A frame list is subsampled with the reranker's max_frames (64), not the request's.
    const frames = (user.content[6] as { video: string[] }).video;
    expect(frames).toHaveLength(o.maxFrames);
    expect(frames[0]).toBe('f0.jpg');
    expect(frames[63]).toBe('f99.jpg');
    expect(user.content[6]).toMatchObject({ type: 'video', total_pixels: 7864320 });
    expect(conv.userItemParts).toEqual([
      'instruction',
      'query',
      'query',
      'query',
      'document',
      'document',
      'document',
      'document',
      'document',
    ]);
  });

  it('reference mode writes no budget on video files; fps 0 / null fall back to the defaults', () => {
    const conv = buildRerankConversation(
      { query: { text: 'q' }, fps: 0, max_frames: null },
      { video: 'clip.mp4' },
      { ...DEFAULT_CONVERSATION_OPTIONS, totalPixelsOnFiles: false },
    );
    expect(conv.messages[1].content[4]).toEqual({ type: 'video', video: 'clip.mp4', fps: 1, max_frames: 64 });
  });

  it('one conversation per document, in order', () => {
    const convs = buildRerankConversations({ query: { text: 'q' }, documents: [{ text: 'a' }, { text: 'b' }, {}] });
    expect(convs.map((c) => c.messages[1].content.at(-1))).toEqual([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
      { type: 'text', text: 'NULL' },
    ]);
  });
});

describe('mediaItems', () => {
  it('lists image and video items in the order their pads appear', () => {
    const conv = buildRerankConversation({ query: { image: 'q.png', video: 'q.mp4' } }, { image: ['a.png', 'b.png'], text: 't' });
    expect(mediaItems(conv).map((i) => (i.type === 'image' ? i.image : i.video))).toEqual(['q.mp4', 'q.png', 'a.png', 'b.png']);
  });
});
