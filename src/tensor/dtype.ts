// Element types. Storage is always a plain typed array, so every backend (reference, native addon, wasm) can read
// and write it with no copy.

export type DType = "float32" | "float64" | "int32" | "bool";
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ["bool", "int32", "float32", "float64"];

export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float32": return new Float32Array(size);
    case "float64": return new Float64Array(size);
    case "int32": return new Int32Array(size);
    case "bool": return new Uint8Array(size);
  }
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return "bool";
}

export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

export function checkDType(op: string, dtype: unknown): DType {
  if (dtype === "float32" || dtype === "float64" || dtype === "int32" || dtype === "bool") return dtype;
  throw new TypeError(`${op}: unknown dtype ${JSON.stringify(dtype)} (expected one of ${DTYPES.join(", ")})`);
}

// PyTorch's promotion lattice restricted to our dtypes: bool < int32 < float32 < float64.
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

const KIND: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 2 };

/**
 * PyTorch's result_type for two tensor operands. A 0-d tensor beside a tensor with dimensions only decides the
 * dtype when it is of a higher kind (bool < integer < float): float32[n] + float64[] stays float32, as a float64
 * loss weight must not widen a whole batch, while int32[n] + float64[] is float64.
 */
export function resultType(a: DType, aNdim: number, b: DType, bNdim: number): DType {
  if ((aNdim === 0) === (bNdim === 0)) return promoteTypes(a, b);
  const [dimmed, zeroDim] = aNdim === 0 ? [b, a] : [a, b];
  return KIND[zeroDim] > KIND[dimmed] ? zeroDim : dimmed;
}

// A JS number next to a tensor is a "weak" scalar, as a Python scalar is in PyTorch: it never widens a float
// tensor (float32 * 2.5 stays float32), but a fractional scalar turns an integer tensor into the default float.
export function dtypeWithScalar(t: DType, s: number | boolean): DType {
  if (typeof s === "boolean") return t;
  if (isFloat(t)) return t;
  if (!Number.isInteger(s)) return "float32";
  return "int32";
}
