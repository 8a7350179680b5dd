// One error type for everything media can reject, with a machine-readable code, so the engine can fail
// one document with a clear message (README, 'Where Sift deliberately differs': the reference silently scores `NULL` instead).

export type MediaErrorCode =
  | 'empty' // zero bytes
  | 'not-an-image' // e.g. a text file renamed .jpg
  | 'unsupported-format' // a real image format Sift does not decode here
  | 'corrupt' // truncated or damaged data
  | 'too-large' // dimensions above the configured decode limit
  | 'bad-base64' // a data URL / base64 string that is not valid base64
  | 'bad-size' // dimensions the reference rejects (zero, aspect ratio > 200)
  | 'bad-frames' // a video / frame list the reference cannot sample
  | 'bad-clip' // a video clip window that is malformed, starts after the video ends, or holds fewer than 2 frames
  | 'timeout' // a URL whose server did not answer, or whose download stalled, within the configured time
  | 'unreachable' // a URL that cannot be fetched (offline, HTTP error, CORS) or a file that can no longer be read
  | 'bad-argument';

export class MediaError extends Error {
  readonly code: MediaErrorCode;
  constructor(code: MediaErrorCode, message: string) {
    super(message);
    this.name = 'MediaError';
    this.code = code;
  }
}
