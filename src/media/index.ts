// Environment-free media pipeline (browser and Node): plain pixels in, patches / grids / timestamps out.
// Node-only decoding lives in nodeDecoder.ts (browser: browserDecoder.ts) and is not re-exported here.
export { MediaError, type MediaErrorCode } from './errors.ts';
export { pythonRound, roundHalfEven } from './rounding.ts';
export * from './smartResize.ts';
export { toRgb, type RawPixels, type RgbImage } from './pixels.ts';
export { resizeBicubicPil } from './pilBicubic.ts';
export { resizeBicubicTorch } from './torchBicubic.ts';
export { patchify, normalizedSample, type Patches, type PatchLayout } from './patches.ts';
export * from './image.ts';
export * from './videoPlan.ts';
export * from './video.ts';
export { decodeBase64, parseDataUrl } from './base64.ts';
export { detectImageFormat, readImageHeader, type ImageFormat, type ImageHeader } from './imageHeader.ts';
export { readExifOrientation, applyOrientation } from './exif.ts';
