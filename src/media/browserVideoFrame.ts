// One decoded VideoFrame → RGB pixels of its visible area. Decoders pad the coded size (e.g. 1920×1088
// for 1080p), so only visibleRect is read. Chromium converts I420 → RGB itself here (BT.601 limited
// range for untagged streams, as ffmpeg assumes); e2e/media.spec.ts measures the gap to ffmpeg's
// swscale (a few levels, from chroma upsampling).
import type { RawPixels } from './pixels.ts';

export async function videoFrameToRgb(frame: VideoFrame): Promise<RawPixels & { data: Uint8Array; channels: 3 }> {
  const rect = frame.visibleRect!;
  const { width, height } = rect;
  const n = width * height;
  const rgba = new Uint8Array(n * 4);
  await frame.copyTo(rgba, { rect: { x: rect.x, y: rect.y, width, height }, format: 'RGBA', colorSpace: 'srgb' });
  // Video is opaque: the alpha byte is dropped (not composited), as video.ts does for 4-channel frames.
  const rgb = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n * 4; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return { data: rgb, width, height, channels: 3 };
}
