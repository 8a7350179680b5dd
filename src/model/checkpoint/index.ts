// Browser-safe entry point of the checkpoint reader. Node code adds './nodeFiles.ts' itself.
export { type Checkpoint, KNOWN_SIDE_FILES, openCheckpoint, SHARD_INDEX, SINGLE_FILE, type TensorInfo } from './open.ts';
export { type CheckpointLocation, fileListLocation, MapLocation, UrlLocation } from './locations.ts';
export { BlobSource, type ByteSource, HttpRangeSource, type HttpOptions, MemorySource } from './sources.ts';
export { readSafetensorsHeader, parseShardIndex, type SafetensorsHeader } from './safetensors.ts';
export { findShapeProblems, officialTensorShapes } from './officialShapes.ts';
export { bf16ToFloat32, decodeToFloat32, f16ToFloat32, f32ToFloat32, float32ToBf16Bits } from './dtypes.ts';
