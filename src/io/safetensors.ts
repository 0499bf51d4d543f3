// The safetensors format, so Axon weights can be read by PyTorch, Hugging Face tools and others:
//   [8 bytes: header length N, little-endian u64] [N bytes: JSON header] [tensor bytes]
// The header maps each name to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the byte after the
// header, row-major, little-endian) plus an optional "__metadata__" object of string values.
// This module works on bytes only, so it runs in browsers; src/io/file.ts adds atomic files for Node.

import type { DType, TypedArray } from "../tensor/dtype.js";
import { fmt, numel } from "../tensor/shape.js";
import { Tensor, contiguousData } from "../tensor/tensor.js";

const WRITE_DTYPE: Record<DType, { name: string; bytes: number }> = {
  float32: { name: "F32", bytes: 4 },
  float64: { name: "F64", bytes: 8 },
  int32: { name: "I32", bytes: 4 },
  bool: { name: "BOOL", bytes: 1 },
};

// What we can read: our own dtypes, plus the common ones PyTorch writes, widened or narrowed to ours.
const READ_DTYPE: Record<string, { bytes: number; to: DType }> = {
  F32: { bytes: 4, to: "float32" }, F64: { bytes: 8, to: "float64" }, F16: { bytes: 2, to: "float32" },
  BF16: { bytes: 2, to: "float32" }, I32: { bytes: 4, to: "int32" }, I64: { bytes: 8, to: "int32" },
  I16: { bytes: 2, to: "int32" }, I8: { bytes: 1, to: "int32" }, U8: { bytes: 1, to: "int32" }, BOOL: { bytes: 1, to: "bool" },
};

const MAX_HEADER = 100_000_000;

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

export type TensorDict = Record<string, Tensor> | Map<string, Tensor>;

export interface Safetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Encodes named tensors (in the given order) and string metadata as a safetensors byte array. */
export function serializeSafetensors(tensors: TensorDict, metadata: Record<string, string> = {}): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new SafetensorsError(`safetensors: metadata value for "${k}" must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new SafetensorsError(`safetensors: "${name}" is not a tensor`);
    if (name === "__metadata__") throw new SafetensorsError('safetensors: "__metadata__" is reserved and cannot name a tensor');
    const bytes = t.numel() * WRITE_DTYPE[t.dtype].bytes;
    header[name] = { dtype: WRITE_DTYPE[t.dtype].name, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference implementation does.
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of entries) {
    const data = contiguousData(t);
    writeLittleEndian(data, view, at);
    at += data.length * WRITE_DTYPE[t.dtype].bytes;
  }
  return out;
}

function writeLittleEndian(data: TypedArray, view: DataView, at: number): void {
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i], true);
  else if (data instanceof Float64Array) for (let i = 0; i < data.length; i++) view.setFloat64(at + 8 * i, data[i], true);
  else if (data instanceof Int32Array) for (let i = 0; i < data.length; i++) view.setInt32(at + 4 * i, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setUint8(at + i, data[i] ? 1 : 0);
}

/** Decodes and validates a safetensors byte array. Every inconsistency is an error, never a partial result. */
export function parseSafetensors(bytes: Uint8Array): Safetensors {
  if (bytes.length < 8) throw new SafetensorsError(`safetensors: file is ${bytes.length} bytes, too short to hold the 8-byte header length (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER) throw new SafetensorsError(`safetensors: header length ${n} is larger than the ${MAX_HEADER}-byte limit (not a safetensors file?)`);
  if (8 + n > bytes.length) throw new SafetensorsError(`safetensors: header length ${n} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(`safetensors: the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new SafetensorsError("safetensors: the header must be a JSON object");
  const dataStart = 8 + n, dataLength = bytes.length - dataStart;

  const metadata: Record<string, string> = {};
  const infos: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof info !== "object" || info === null) throw new SafetensorsError("safetensors: __metadata__ must be an object of strings");
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== "string") throw new SafetensorsError(`safetensors: __metadata__["${k}"] must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const spec = typeof e?.dtype === "string" ? READ_DTYPE[e.dtype] : undefined;
    if (!spec) throw new SafetensorsError(`safetensors: tensor "${name}" has unsupported dtype ${JSON.stringify(e?.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`safetensors: tensor "${name}" has an invalid shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0]) {
      throw new SafetensorsError(`safetensors: tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const expected = numel(e.shape) * spec.bytes;
    if (off[1] - off[0] !== expected) throw new SafetensorsError(`safetensors: tensor "${name}" of dtype ${e.dtype} and shape ${fmt(e.shape)} needs ${expected} bytes, but its data_offsets span ${off[1] - off[0]}`);
    if (off[1] > dataLength) throw new SafetensorsError(`safetensors: tensor "${name}" ends at byte ${off[1]} of the data, but only ${dataLength} bytes follow the header (truncated?)`);
    infos.push({ name, dtype: e.dtype as string, shape: e.shape, begin: off[0], end: off[1] });
  }
  // The tensors must tile the data region exactly: no gaps, no overlaps, nothing left over.
  const sorted = [...infos].sort((a, b) => a.begin - b.begin);
  let expectAt = 0;
  for (const t of sorted) {
    if (t.begin !== expectAt) throw new SafetensorsError(`safetensors: tensor "${t.name}" starts at byte ${t.begin} but the previous one ends at ${expectAt} (overlapping or gapped data)`);
    expectAt = t.end;
  }
  if (expectAt !== dataLength) throw new SafetensorsError(`safetensors: the tensors cover ${expectAt} bytes but ${dataLength} follow the header (corrupt or trailing data)`);

  const tensors = new Map<string, Tensor>();
  for (const t of infos) {
    tensors.set(t.name, decode(t.name, t.dtype, t.shape, new DataView(bytes.buffer, bytes.byteOffset + dataStart + t.begin, t.end - t.begin)));
  }
  return { tensors, metadata };
}

function decode(name: string, dtype: string, shape: number[], v: DataView): Tensor {
  const n = numel(shape);
  switch (dtype) {
    case "F32": { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = v.getFloat32(4 * i, true); return new Tensor(a, shape); }
    case "F64": { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = v.getFloat64(8 * i, true); return new Tensor(a, shape); }
    case "F16": { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = halfToFloat(v.getUint16(2 * i, true)); return new Tensor(a, shape); }
    case "BF16": { const a = new Float32Array(n); const f = new Float32Array(1), u = new Uint32Array(f.buffer); for (let i = 0; i < n; i++) { u[0] = v.getUint16(2 * i, true) << 16; a[i] = f[0]; } return new Tensor(a, shape); }
    case "I32": { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = v.getInt32(4 * i, true); return new Tensor(a, shape); }
    case "I64": {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const x = v.getBigInt64(8 * i, true);
        if (x > 2147483647n || x < -2147483648n) throw new SafetensorsError(`safetensors: tensor "${name}" (I64) holds ${x}, which does not fit int32`);
        a[i] = Number(x);
      }
      return new Tensor(a, shape);
    }
    case "I16": { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = v.getInt16(2 * i, true); return new Tensor(a, shape); }
    case "I8": { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = v.getInt8(i); return new Tensor(a, shape); }
    case "U8": { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = v.getUint8(i); return new Tensor(a, shape); }
    default: { const a = new Uint8Array(n); for (let i = 0; i < n; i++) a[i] = v.getUint8(i) ? 1 : 0; return new Tensor(a, shape); }
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
