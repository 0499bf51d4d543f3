// The IDX format of LeCun's MNIST files (and Fashion-MNIST, EMNIST, ...): a 4-byte magic number, then one
// big-endian uint32 size per dimension, then the elements in row-major order, big-endian.
//
//   byte 0, 1   0x00 0x00
//   byte 2      element type: 0x08 ubyte, 0x09 sbyte, 0x0B short (int16), 0x0C int (int32),
//                             0x0D float (float32), 0x0E double (float64)
//   byte 3      number of dimensions
//   then        ndim x uint32 sizes, then the data
//
// This module works on bytes only, so it runs in a browser; reading files and gunzipping them is at the Node
// edge (readIdx in src/data/node/idx.ts). A file that still starts with the gzip magic is refused with a hint.

import { type DType, allocate, checkDType } from "../tensor/dtype.js";
import { fmt, numel } from "../tensor/shape.js";
import { Tensor, contiguousData } from "../tensor/tensor.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export type IdxType = "ubyte" | "sbyte" | "short" | "int" | "float" | "double";

interface IdxTypeInfo { code: number; bytes: number; min: number; max: number; integer: boolean }

const TYPES: Record<IdxType, IdxTypeInfo> = {
  ubyte: { code: 0x08, bytes: 1, min: 0, max: 255, integer: true },
  sbyte: { code: 0x09, bytes: 1, min: -128, max: 127, integer: true },
  short: { code: 0x0b, bytes: 2, min: -32768, max: 32767, integer: true },
  int: { code: 0x0c, bytes: 4, min: -2147483648, max: 2147483647, integer: true },
  float: { code: 0x0d, bytes: 4, min: -Infinity, max: Infinity, integer: false },
  double: { code: 0x0e, bytes: 8, min: -Infinity, max: Infinity, integer: false },
};

const BY_CODE = new Map<number, IdxType>(Object.entries(TYPES).map(([name, t]) => [t.code, name as IdxType]));

const hex = (b: number): string => `0x${b.toString(16).padStart(2, "0")}`;

export class IdxError extends Error {
  override name = "IdxError";
}

export interface IdxHeader {
  type: IdxType;
  shape: number[];
  /** Where the elements start: 4 + 4 * ndim. */
  dataOffset: number;
  /** Bytes the elements take: numel(shape) * element size. */
  dataBytes: number;
}

/** Reads and checks the header: magic, element type, sizes, and that the data that follows has exactly the
 *  length the sizes promise. */
export function parseIdxHeader(bytes: Uint8Array): IdxHeader {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("parseIdx: expected the file's bytes as a Uint8Array");
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new IdxError("parseIdx: the bytes are gzip-compressed (they start with 0x1f 0x8b); decompress them first (readIdx from axon-dl/node does, or DecompressionStream(\"gzip\") in a browser)");
  }
  if (bytes.length < 4) throw new IdxError(`parseIdx: truncated header: an IDX file starts with 4 magic bytes, found only ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxError(`parseIdx: bad magic number: an IDX file starts with 0x00 0x00, found ${hex(bytes[0])} ${hex(bytes[1])} (not an IDX file?)`);
  }
  const type = BY_CODE.get(bytes[2]);
  if (type === undefined) {
    throw new IdxError(`parseIdx: unknown element type ${hex(bytes[2])} in the magic number (expected one of ${Object.entries(TYPES).map(([n, t]) => `${hex(t.code)} ${n}`).join(", ")})`);
  }
  const ndim = bytes[3];
  const dataOffset = 4 + 4 * ndim;
  if (bytes.length < dataOffset) {
    throw new IdxError(`parseIdx: truncated header: ${ndim} dimensions need ${dataOffset} header bytes, found ${bytes.length}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(dv.getUint32(4 + 4 * d, false));
  const dataBytes = numel(shape) * TYPES[type].bytes;
  const found = bytes.length - dataOffset;
  if (found < dataBytes) {
    throw new IdxError(`parseIdx: truncated data: shape ${fmt(shape)} of ${type} (${TYPES[type].bytes} byte${TYPES[type].bytes > 1 ? "s" : ""} each) needs ${dataBytes} bytes after the ${dataOffset}-byte header, found ${found}`);
  }
  if (found > dataBytes) {
    throw new IdxError(`parseIdx: wrong sizes: shape ${fmt(shape)} of ${type} needs ${dataBytes} bytes after the ${dataOffset}-byte header, but ${found} follow (${found - dataBytes} extra); the header's sizes do not match the data`);
  }
  return { type, shape, dataOffset, dataBytes };
}

export interface ParseIdxOptions {
  /** The tensor's dtype. Default: int32 for the integer types (ubyte, sbyte, short, int: exact), float32 for float,
   *  float64 for double. */
  dtype?: DType;
  /** Multiplies every element while decoding, in float64, before the store into `dtype`: `{ dtype: "float32",
   *  scale: 1 / 255 }` turns ubyte pixels into [0, 1] in one pass with no int32 copy in between. */
  scale?: number;
}

export const PARSE_IDX_OPTION_KEYS = optionKeys<ParseIdxOptions>({ dtype: true, scale: true });

/**
 * Decodes an uncompressed IDX file into a Tensor of its shape. Integer element types (ubyte pixels, labels) give
 * int32 by default, so labels are ready for crossEntropy and no value is rounded; float gives float32, double
 * float64. Pass `dtype` (and `scale`) to decode straight into another type.
 * Errors name what is wrong: bad magic, unknown type, truncated header or data (bytes expected vs found), or
 * extra bytes after the data (the sizes in the header are wrong).
 */
export function parseIdx(bytes: Uint8Array, opts: ParseIdxOptions = {}): Tensor {
  checkOptionKeys("parseIdx", opts, PARSE_IDX_OPTION_KEYS);
  const h = parseIdxHeader(bytes);
  const defaultDType: DType = h.type === "float" ? "float32" : h.type === "double" ? "float64" : "int32";
  const dtype = checkDType("parseIdx", opts.dtype ?? defaultDType);
  const scale = opts.scale ?? 1;
  if (!Number.isFinite(scale)) throw new RangeError(`parseIdx: scale must be a finite number, got ${scale}`);
  if (scale !== 1 && (dtype === "int32" || dtype === "bool")) {
    throw new TypeError(`parseIdx: a scale of ${scale} needs a floating-point dtype, got ${dtype}`);
  }
  const n = numel(h.shape);
  const out = allocate(dtype, n);
  const base = h.dataOffset;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // One loop per element type; the read is big-endian (DataView's `false`). bool stores non-zero as 1.
  const read: (i: number) => number =
    h.type === "ubyte" ? (i) => bytes[base + i]
    : h.type === "sbyte" ? (i) => dv.getInt8(base + i)
    : h.type === "short" ? (i) => dv.getInt16(base + 2 * i, false)
    : h.type === "int" ? (i) => dv.getInt32(base + 4 * i, false)
    : h.type === "float" ? (i) => dv.getFloat32(base + 4 * i, false)
    : (i) => dv.getFloat64(base + 8 * i, false);
  if (dtype === "bool") for (let i = 0; i < n; i++) out[i] = read(i) !== 0 ? 1 : 0;
  else if (h.type === "ubyte" && scale === 1) out.set(bytes.subarray(base, base + n));
  else if (scale === 1) for (let i = 0; i < n; i++) out[i] = read(i);
  else for (let i = 0; i < n; i++) out[i] = read(i) * scale;
  return new Tensor(out, h.shape);
}

/** The IDX type a tensor is written as when encodeIdx is given none. */
function defaultIdxType(t: Tensor): IdxType {
  switch (t.dtype) {
    case "bool": return "ubyte";
    case "int32": return "int";
    case "float32": return "float";
    case "float64": return "double";
  }
}

/**
 * Encodes a tensor as an (uncompressed) IDX file. `type` defaults from the dtype: int32 -> int, float32 -> float,
 * float64 -> double, bool -> ubyte. Values must fit the type: an integer type refuses fractions, NaN and values
 * out of its range (naming the first offending element), so a round trip through parseIdx is exact.
 */
export function encodeIdx(t: Tensor, type: IdxType = defaultIdxType(t)): Uint8Array {
  if (!(t instanceof Tensor)) throw new TypeError("encodeIdx: expected a Tensor");
  const info = TYPES[type];
  if (info === undefined) throw new TypeError(`encodeIdx: unknown IDX type ${JSON.stringify(type)} (expected one of ${Object.keys(TYPES).join(", ")})`);
  if (t.ndim > 255) throw new IdxError(`encodeIdx: IDX allows at most 255 dimensions, got ${t.ndim}`);
  for (const s of t.shape) if (s > 0xffffffff) throw new IdxError(`encodeIdx: size ${s} in shape ${fmt(t.shape)} does not fit IDX's uint32 sizes`);
  const data = contiguousData(t);
  const n = data.length;
  if (info.integer) {
    for (let i = 0; i < n; i++) {
      const v = data[i];
      if (!Number.isInteger(v) || v < info.min || v > info.max) {
        throw new RangeError(`encodeIdx: element ${i} is ${v}, which ${type} (integers ${info.min}..${info.max}) cannot hold`);
      }
    }
  }
  const headerBytes = 4 + 4 * t.ndim;
  const bytes = new Uint8Array(headerBytes + n * info.bytes);
  const dv = new DataView(bytes.buffer);
  bytes[2] = info.code;
  bytes[3] = t.ndim;
  t.shape.forEach((s, d) => dv.setUint32(4 + 4 * d, s, false));
  const b = headerBytes;
  switch (type) {
    case "ubyte": bytes.set(data, b); break; // checked above: every value is an integer in 0..255
    case "sbyte": for (let i = 0; i < n; i++) dv.setInt8(b + i, data[i]); break;
    case "short": for (let i = 0; i < n; i++) dv.setInt16(b + 2 * i, data[i], false); break;
    case "int": for (let i = 0; i < n; i++) dv.setInt32(b + 4 * i, data[i], false); break;
    case "float": for (let i = 0; i < n; i++) dv.setFloat32(b + 4 * i, data[i], false); break;
    case "double": for (let i = 0; i < n; i++) dv.setFloat64(b + 8 * i, data[i], false); break;
  }
  return bytes;
}
