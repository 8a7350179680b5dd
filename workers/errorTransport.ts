// Errors across the worker boundary. comlink's own handler keeps only name, message and stack, so a
// MediaError's `code` would be lost; this one sends every error as a plain WireError and the page
// rebuilds the class from it (src/lib/errors.ts).
import * as Comlink from 'comlink';
import { errorCode } from '../src/engine/errorCode.ts';

export interface WireError {
  name: string;
  message: string;
  /** Stable machine-readable code (codeOf). */
  code: string;
  stack?: string;
  /** ModelStoreError's quota figures. */
  neededBytes?: number;
  availableBytes?: number;
}

/** The stable code of any thrown value (see errorCode). */
export const codeOf = errorCode;

export function toWireError(err: unknown): WireError {
  const e = (err ?? {}) as Partial<Error> & { neededBytes?: unknown; availableBytes?: unknown };
  const wire: WireError = {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(err),
    code: codeOf(err),
  };
  if (typeof e.stack === 'string') wire.stack = e.stack;
  if (typeof e.neededBytes === 'number') wire.neededBytes = e.neededBytes;
  if (typeof e.availableBytes === 'number') wire.availableBytes = e.availableBytes;
  return wire;
}

interface Thrown {
  isError: boolean;
  value: unknown;
}

/**
 * Replaces comlink's 'throw' handler (on both sides: the worker serializes, the page deserializes):
 * errors travel as WireError and come back through `rebuild`. Values thrown that are not errors keep
 * comlink's own handling.
 */
export function registerErrorTransport(rebuild: (wire: WireError) => unknown = (w) => w): void {
  const base = Comlink.transferHandlers.get('throw') as Comlink.TransferHandler<{ value: unknown }, Thrown>;
  if ((base as { sift?: boolean }).sift) return;
  const handler: Comlink.TransferHandler<{ value: unknown }, Thrown> & { sift: true } = {
    sift: true,
    canHandle: (v): v is { value: unknown } => base.canHandle(v),
    serialize(thrown) {
      const v = thrown.value;
      if (v instanceof Error || (typeof DOMException !== 'undefined' && v instanceof DOMException))
        return [{ isError: true, value: toWireError(v) }, []];
      return base.serialize(thrown);
    },
    deserialize(s) {
      if (s.isError && s.value && typeof (s.value as WireError).message === 'string') throw rebuild(s.value as WireError);
      return base.deserialize(s);
    },
  };
  Comlink.transferHandlers.set('throw', handler);
}
