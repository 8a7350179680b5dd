// Where a local media path goes wrong, `locate` says what is there instead of "no such file": a
// directory, a symlink loop, a broken symlink; a plain missing file still says "no such file".
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/media/errors.ts';
import { locate } from '../../src/media/nodeSource.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sift-locate-'));
  mkdirSync(join(dir, 'photos'));
  writeFileSync(join(dir, 'a.png'), 'x');
  symlinkSync('loop-b', join(dir, 'loop-a'));
  symlinkSync('loop-a', join(dir, 'loop-b'));
  symlinkSync('gone.png', join(dir, 'dangling.png'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function problem(ref: string): Promise<MediaError> {
  const err = await locate(ref, dir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaError);
  expect((err as MediaError).code).toBe('bad-argument');
  return err as MediaError;
}

describe('locate names what is wrong with a path', () => {
  it('a directory', async () => {
    expect((await problem('photos')).message).toBe(`photos (looked in ${dir}) is a directory, not a file: name a file inside it`);
    expect((await problem(join(dir, 'photos'))).message).toMatch(/photos is a directory, not a file/);
    expect((await problem(pathToFileURL(join(dir, 'photos')).href)).message).toMatch(/^file:.*photos is a directory, not a file/);
  });

  it('a symlink loop', async () => {
    expect((await problem('loop-a')).message).toMatch(
      /^loop-a \(looked in .*\) is a symlink loop \(links that point back to each other\), not a file/,
    );
  });

  it('a broken symlink', async () => {
    expect((await problem('dangling.png')).message).toMatch(
      /^dangling\.png \(looked in .*\) is a broken symlink: its target gone\.png does not exist/,
    );
  });

  it('a missing file, and a file where a folder should be', async () => {
    expect((await problem('missing.png')).message).toBe(`no such file: missing.png (looked in ${dir})`);
    expect((await problem('a.png/b.png')).message).toMatch(
      /^a\.png\/b\.png \(looked in .*\) is not a file: part of the path is a file, not a folder/,
    );
  });

  it('a file is found', async () => {
    expect(await locate('a.png', dir)).toEqual({ kind: 'file', path: join(dir, 'a.png'), label: 'a.png' });
  });
});
