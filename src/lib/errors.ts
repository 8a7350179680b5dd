// The errors the public API throws, each with a stable string `code` to branch on (messages are for
// people and may change). The classes live with the code that throws them (media, store, prompt);
// errors that cross from the worker are rebuilt here as the same classes (workers/errorTransport.ts).
import { MediaError } from '../media/errors.ts';
import { ModelStoreError } from '../store/errors.ts';
import { RequestError } from '../prompt/validate.ts';
import { PromptError } from '../prompt/promptError.ts';
import type { WireError } from '../../workers/errorTransport.ts';

export { MediaError, ModelStoreError, RequestError, PromptError };
export type { MediaErrorCode } from '../media/errors.ts';
export type { PromptErrorCode } from '../prompt/promptError.ts';
export type { StoreErrorKind } from '../store/errors.ts';

/**
 * Any error Sift throws: `instanceof SiftError` holds for every error that carries a string `code`
 * (MediaError, ModelStoreError, PromptError, RequestError, and the ones rebuilt from the worker), so callers need
 * one check whichever layer the error came from.
 */
export class SiftError extends Error {
  readonly code: string;
  constructor(code: string, message: string, name = 'SiftError') {
    super(message);
    this.name = name;
    this.code = code;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== SiftError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return value instanceof Error && typeof (value as { code?: unknown }).code === 'string';
  }
}

/** The model worker could not start or stopped; every call on it fails from then on. */
export class WorkerError extends SiftError {
  constructor(message: string) {
    super('worker-failed', message, 'WorkerError');
  }
}

export { codeOf } from '../../workers/errorTransport.ts';

/** The page's copy of an error thrown in the worker: the same class where Sift has one, its code kept. */
export function rebuildError(wire: WireError): Error {
  const { name, message, code } = wire;
  let err: Error;
  if (name === 'MediaError') err = new MediaError(code as never, message);
  else if (name === 'ModelStoreError') err = new ModelStoreError(code as never, message, wire.neededBytes, wire.availableBytes);
  else if (name === 'RequestError') err = new RequestError(message);
  else if (name === 'PromptError') err = new PromptError(code as never, message);
  else if (name === 'AbortError') err = new DOMException(message, 'AbortError');
  else err = new SiftError(code, message, name || 'Error');
  // A class that has no code of its own (RequestError and its kinds) gets the one it had in the worker.
  if ((err as { code?: unknown }).code !== code && !(err instanceof DOMException))
    Object.defineProperty(err, 'code', { value: code, enumerable: true });
  if (wire.stack) {
    try {
      err.stack = wire.stack;
    } catch {
      // DOMException's stack may be read-only; the message is what matters
    }
  }
  return err;
}
