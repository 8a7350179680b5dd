// Independent plain-TypeScript forward pass of Qwen3-VL(-Reranker), written from the HF
// transformers modeling code; used only by tests to check the ONNX graphs and the engine.

export type { Weights } from './weights.ts';
export { take, maybeTake, weightsFromMap } from './weights.ts';
export { erf, geluErf, geluTanh, silu, sigmoid } from './erf.ts';
export { linear, layerNorm, rmsNorm, applyRotaryInPlace, attendHead } from './ops.ts';
export { ropeInvFreq, interleavedMropeAxes, textRotary, visionRotary } from './rope.ts';
export { mergeOrderCoords, linspaceF32, bilinearTaps, interpolatePosEmbed } from './visionPos.ts';
export { referenceRopeIndex } from './ropeIndex.ts';
export { referenceVision, patchEmbed, visionBlock, patchMerger, type VisionResult } from './vision.ts';
export { referenceText, referenceEmbed, decoderLayer, outputEmbeddings, type TextResult } from './text.ts';
export { referenceScore, assembleInputs, type AssembledInputs, type ScoreInput, type ScoreResult, type VisualInput } from './score.ts';
export { referenceEmbedding, referencePooled, type EmbedReferenceInput } from './embed.ts';
