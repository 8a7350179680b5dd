// Errors across a real comlink channel (a MessageChannel, as between the page and the Sift worker):
// each arrives as the public class with its stable code; comlink's own handler kept only name and message.
import { afterEach, describe, expect, it } from 'vitest';
import * as Comlink from 'comlink';
import { registerErrorTransport } from '../../workers/errorTransport.ts';
import { codeOf, MediaError, ModelStoreError, PromptError, RequestError, SiftError, rebuildError } from '../../src/lib/errors.ts';

const channels: MessageChannel[] = [];
afterEach(() => channels.splice(0).forEach((c) => (c.port1.close(), c.port2.close())));

/** A remote whose call throws `make()` on the far side of a MessageChannel. */
function remoteThrowing(make: () => unknown) {
  registerErrorTransport(rebuildError);
  const channel = new MessageChannel();
  channels.push(channel);
  Comlink.expose(
    {
      run: async () => {
        throw make();
      },
    },
    channel.port1 as unknown as Comlink.Endpoint,
  );
  return Comlink.wrap<{ run(): Promise<void> }>(channel.port2 as unknown as Comlink.Endpoint);
}

async function thrownBy(make: () => unknown): Promise<unknown> {
  try {
    await remoteThrowing(make).run();
  } catch (err) {
    return err;
  }
  throw new Error('the call did not throw');
}

describe('errors across the worker boundary', () => {
  it('a MediaError keeps its class and code', async () => {
    const err = await thrownBy(() => new MediaError('not-an-image', 'image 1: this is not an image'));
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toBeInstanceOf(SiftError);
    expect(err).toMatchObject({ name: 'MediaError', code: 'not-an-image', message: 'image 1: this is not an image' });
  });

  it('a ModelStoreError keeps its kind as code and its quota figures', async () => {
    const err = await thrownBy(() => new ModelStoreError('quota', 'Not enough storage', 100, 10));
    expect(err).toBeInstanceOf(ModelStoreError);
    expect(err).toMatchObject({ code: 'quota', kind: 'quota', neededBytes: 100, availableBytes: 10 });
  });

  it('a RequestError, a PromptError, or any error with a code of its own keeps it', async () => {
    expect(await thrownBy(() => new RequestError('documents must be a list'))).toMatchObject({ name: 'RequestError', code: 'bad-request' });
    const truncated = await thrownBy(() => new PromptError('query-truncated', 'the query was cut'));
    expect(truncated).toBeInstanceOf(PromptError);
    expect(truncated).toBeInstanceOf(SiftError);
    expect(truncated).toMatchObject({ name: 'PromptError', code: 'query-truncated', message: 'the query was cut' });
    const other = await thrownBy(() => Object.assign(new Error('a new kind'), { name: 'FutureError', code: 'future-code' }));
    expect(other).toBeInstanceOf(SiftError);
    expect(other).toMatchObject({ name: 'FutureError', code: 'future-code', message: 'a new kind' });
  });

  it("an error without a code is 'internal'; an abort stays an AbortError", async () => {
    expect(await thrownBy(() => new TypeError('x is undefined'))).toMatchObject({
      name: 'TypeError',
      code: 'internal',
      message: 'x is undefined',
    });
    const abort = await thrownBy(() => new DOMException('reranking was cancelled', 'AbortError'));
    expect(abort).toMatchObject({ name: 'AbortError', message: 'reranking was cancelled' });
    expect(codeOf(abort)).toBe('cancelled');
  });

  it('a thrown value that is not an error passes as is', async () => {
    expect(await thrownBy(() => 'plain string')).toBe('plain string');
  });
});
