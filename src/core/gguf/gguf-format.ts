/**
 * The parts of the GGUF format the validator checks against: value types, ggml tensor types
 * with their block sizes, the file-type names, and the caps that keep a hostile file from
 * costing time or memory.
 */

/** GGUF metadata value type ids (ggml's gguf.h). Anything else is rejected. */
export const GgufValueType = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const;

/** Bytes of one value of each fixed-size type; strings and arrays are absent. */
export const FIXED_VALUE_SIZE: ReadonlyMap<number, number> = new Map([
  [GgufValueType.u8, 1],
  [GgufValueType.i8, 1],
  [GgufValueType.u16, 2],
  [GgufValueType.i16, 2],
  [GgufValueType.u32, 4],
  [GgufValueType.i32, 4],
  [GgufValueType.f32, 4],
  [GgufValueType.bool, 1],
  [GgufValueType.u64, 8],
  [GgufValueType.i64, 8],
  [GgufValueType.f64, 8],
]);

export interface GgmlTypeInfo {
  name: string;
  /** Elements per block; a tensor's first dimension must be a multiple of it. */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
}

/**
 * ggml's type_traits table (blck_size, type_size) for the llama.cpp that node-llama-cpp 3.21.1
 * ships, checked against its getBlockSizeForGgmlType/getTypeSizeForGgmlType. Ids 4, 5, 31–33 and
 * 36–38 are types ggml removed (block size 0): files using them cannot load, so they are unknown here.
 */
export const GGML_TYPES: ReadonlyMap<number, GgmlTypeInfo> = new Map(
  (
    [
      [0, 'F32', 1, 4],
      [1, 'F16', 1, 2],
      [2, 'Q4_0', 32, 18],
      [3, 'Q4_1', 32, 20],
      [6, 'Q5_0', 32, 22],
      [7, 'Q5_1', 32, 24],
      [8, 'Q8_0', 32, 34],
      [9, 'Q8_1', 32, 36],
      [10, 'Q2_K', 256, 84],
      [11, 'Q3_K', 256, 110],
      [12, 'Q4_K', 256, 144],
      [13, 'Q5_K', 256, 176],
      [14, 'Q6_K', 256, 210],
      [15, 'Q8_K', 256, 292],
      [16, 'IQ2_XXS', 256, 66],
      [17, 'IQ2_XS', 256, 74],
      [18, 'IQ3_XXS', 256, 98],
      [19, 'IQ1_S', 256, 50],
      [20, 'IQ4_NL', 32, 18],
      [21, 'IQ3_S', 256, 110],
      [22, 'IQ2_S', 256, 82],
      [23, 'IQ4_XS', 256, 136],
      [24, 'I8', 1, 1],
      [25, 'I16', 1, 2],
      [26, 'I32', 1, 4],
      [27, 'I64', 1, 8],
      [28, 'F64', 1, 8],
      [29, 'IQ1_M', 256, 56],
      [30, 'BF16', 1, 2],
      [34, 'TQ1_0', 256, 54],
      [35, 'TQ2_0', 256, 66],
      [39, 'MXFP4', 32, 17],
      [40, 'NVFP4', 64, 36],
      [41, 'Q1_0', 128, 18],
      [42, 'Q2_0', 64, 18],
    ] as const
  ).map(([id, name, blockSize, typeSize]) => [id, { name, blockSize, typeSize }]),
);

/** general.file_type (llama.cpp's llama_ftype) → the quantisation name users know. Deprecated ids are absent. */
export const FILE_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'F32'],
  [1, 'F16'],
  [2, 'Q4_0'],
  [3, 'Q4_1'],
  [7, 'Q8_0'],
  [8, 'Q5_0'],
  [9, 'Q5_1'],
  [10, 'Q2_K'],
  [11, 'Q3_K_S'],
  [12, 'Q3_K_M'],
  [13, 'Q3_K_L'],
  [14, 'Q4_K_S'],
  [15, 'Q4_K_M'],
  [16, 'Q5_K_S'],
  [17, 'Q5_K_M'],
  [18, 'Q6_K'],
  [19, 'IQ2_XXS'],
  [20, 'IQ2_XS'],
  [21, 'Q2_K_S'],
  [22, 'IQ3_XS'],
  [23, 'IQ3_XXS'],
  [24, 'IQ1_S'],
  [25, 'IQ4_NL'],
  [26, 'IQ3_S'],
  [27, 'IQ3_M'],
  [28, 'IQ2_S'],
  [29, 'IQ2_M'],
  [30, 'IQ4_XS'],
  [31, 'IQ1_M'],
  [32, 'BF16'],
  [36, 'TQ1_0'],
  [37, 'TQ2_0'],
  [38, 'MXFP4_MOE'],
  [39, 'NVFP4'],
  [40, 'Q1_0'],
  [41, 'Q2_0'],
]);

/**
 * Caps on what a GGUF file may declare. Each is far above what real models use, and low
 * enough that a file at every cap is still checked in well under 2 s and a few MB.
 */
export interface GgufLimits {
  /** Metadata key/value pairs. Real models have a few dozen. Default 16 384. */
  maxMetadataEntries: number;
  /** Bytes in one metadata key (real keys are under 64). Default 256. */
  maxKeyBytes: number;
  /** Bytes in one string value; chat templates, the longest, are tens of KB. Default 1 MiB. */
  maxStringBytes: number;
  /** Items in one array under `tokenizer.` (vocabularies and merges: up to a few hundred thousand). Default 4 194 304. */
  maxTokenizerArrayItems: number;
  /** Items in any other array (per-layer values, tags). Default 1 048 576. */
  maxArrayItems: number;
  /**
   * All metadata together, in bytes. The largest vocabularies (262 144 tokens, or 150 000 tokens
   * with as many merges) take 5–10 MB. Default 64 MiB, which also bounds the strings to walk
   * through to 8 Mi (< 1 s).
   */
  maxMetadataBytes: number;
  /** Tensors (the largest models have a few thousand). Default 65 536. */
  maxTensors: number;
  /** Bytes in a tensor name: ggml's GGML_MAX_NAME is 64 including the terminating NUL. Default 63. */
  maxTensorNameBytes: number;
  /** `<arch>.block_count`. Default 1 024. */
  maxLayers: number;
}

export const DEFAULT_GGUF_LIMITS: Readonly<GgufLimits> = Object.freeze({
  maxMetadataEntries: 16_384,
  maxKeyBytes: 256,
  maxStringBytes: 1024 * 1024,
  maxTokenizerArrayItems: 4 * 1024 * 1024,
  maxArrayItems: 1024 * 1024,
  maxMetadataBytes: 64 * 1024 * 1024,
  maxTensors: 65_536,
  maxTensorNameBytes: 63,
  maxLayers: 1_024,
});

/** ggml's GGML_MAX_DIMS. */
export const MAX_TENSOR_DIMENSIONS = 4;
/** llama.cpp keeps element counts and sizes in int64_t. */
export const INT64_MAX = 2n ** 63n - 1n;
export const DEFAULT_ALIGNMENT = 32;
/** "GGUF" as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;
export const SUPPORTED_VERSIONS: ReadonlySet<number> = new Set([2, 3]);
