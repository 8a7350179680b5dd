// fetchManifest against a fake server: a connection that drops while the manifest body arrives is a
// transient failure (retried), not "not valid JSON"; a body that really is not JSON is a manifest error.
import { describe, expect, it } from 'vitest';
import { ModelStoreError, TransientError } from '../../src/store/errors.ts';
import { fetchManifest } from '../../src/store/remoteManifest.ts';

const URL_ = 'http://models.test/tiny/manifest.json';

function respond(body: ReadableStream<Uint8Array> | string): typeof fetch {
  return (async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })) as typeof fetch;
}

describe('fetchManifest', () => {
  it('a body cut off by a dropped connection is a TransientError', async () => {
    const half = new TextEncoder().encode('{"format": "sift-model", "id": "ti');
    const dropped = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(half);
      },
      pull(c) {
        c.error(new TypeError('network error'));
      },
    });
    const err = await fetchManifest(URL_, respond(dropped)).catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toBe('manifest.json: the connection dropped (network error)');
  });

  it('a complete body that is not JSON is a manifest error', async () => {
    const err = await fetchManifest(URL_, respond('<html>not found</html>')).catch((e) => e);
    expect(err).toBeInstanceOf(ModelStoreError);
    expect(err).toMatchObject({
      kind: 'manifest',
      message: expect.stringMatching(/^http:\/\/models\.test\/tiny\/manifest\.json is not valid JSON \(/),
    });
  });
});
