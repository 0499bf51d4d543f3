// Creating tensors: from nested arrays or typed arrays, constant fills, ranges, and seeded random draws.

import { allocate, checkDType, dtypeOfArray, isFloat, type DType, type TypedArray } from "../tensor/dtype.js";
import { ShapeError, checkShape, numel } from "../tensor/shape.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import { Tensor, empty, filled, type Nested } from "../tensor/tensor.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

const TENSOR_OPTION_KEYS = optionKeys<TensorOptions>({ dtype: true, requiresGrad: true });
const RANDOM_OPTION_KEYS = optionKeys<RandomOptions>({ dtype: true, requiresGrad: true, generator: true });

function finish(t: Tensor, opts: TensorOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

function shapeArg(op: string, shape: number | readonly number[]): number[] {
  return checkShape(op, typeof shape === "number" ? [shape] : shape);
}

/**
 * A tensor from nested arrays, a typed array, or a number. JavaScript numbers do not tell 1 from 1.0, so number
 * data becomes float32 unless a dtype is given; booleans become bool; a typed array keeps its own type
 * (Float32Array -> float32, Float64Array -> float64, Int32Array -> int32, Uint8Array -> bool). The data is copied.
 */
export function tensor(data: Nested | TypedArray, opts: TensorOptions = {}): Tensor {
  checkOptionKeys("tensor", opts, TENSOR_OPTION_KEYS);
  if (ArrayBuffer.isView(data)) {
    const src = data as TypedArray;
    const dtype = opts.dtype ? checkDType("tensor", opts.dtype) : dtypeOfArray(src);
    const out = empty([src.length], dtype);
    if (dtype === "bool" && !(src instanceof Uint8Array)) for (let i = 0; i < src.length; i++) out.data[i] = src[i] !== 0 ? 1 : 0;
    else out.data.set(src);
    return finish(out, opts);
  }
  const shape: number[] = [];
  let probe: Nested = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe.length > 0 ? (probe as Nested[])[0] : 0;
  }
  const flat: (number | boolean)[] = [];
  const walk = (v: Nested, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new ShapeError(`tensor: ragged nested array: element [${path.join("][")}] is an array where a number was expected (shape so far ${JSON.stringify(shape)})`);
      if (typeof v !== "number" && typeof v !== "boolean") throw new TypeError(`tensor: element [${path.join("][")}] is ${typeof v}, expected a number or boolean`);
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(`tensor: ragged nested array: element [${path.join("][")}] has ${Array.isArray(v) ? `length ${v.length}` : "a scalar"} where length ${shape[depth]} was expected`);
    }
    (v as Nested[]).forEach((x, i) => walk(x, depth + 1, [...path, i]));
  };
  walk(data, 0, []);
  const inferred: DType = flat.length > 0 && flat.every((v) => typeof v === "boolean") ? "bool" : "float32";
  const dtype = opts.dtype ? checkDType("tensor", opts.dtype) : inferred;
  const out = empty(shape, dtype);
  // bool means non-zero (NaN included), as in PyTorch; a plain Uint8Array store would turn 0.5 into 0 and -2 into 254.
  if (dtype === "bool") for (let i = 0; i < flat.length; i++) out.data[i] = Number(flat[i]) !== 0 ? 1 : 0;
  else for (let i = 0; i < flat.length; i++) out.data[i] = Number(flat[i]);
  return finish(out, opts);
}

export function zeros(shape: number | readonly number[], opts: TensorOptions = {}): Tensor {
  checkOptionKeys("zeros", opts, TENSOR_OPTION_KEYS);
  return finish(filled(shapeArg("zeros", shape), checkDType("zeros", opts.dtype ?? "float32"), 0), opts);
}

export function ones(shape: number | readonly number[], opts: TensorOptions = {}): Tensor {
  checkOptionKeys("ones", opts, TENSOR_OPTION_KEYS);
  return finish(filled(shapeArg("ones", shape), checkDType("ones", opts.dtype ?? "float32"), 1), opts);
}

export function full(shape: number | readonly number[], value: number | boolean, opts: TensorOptions = {}): Tensor {
  checkOptionKeys("full", opts, TENSOR_OPTION_KEYS);
  const dtype = opts.dtype ?? (typeof value === "boolean" ? "bool" : "float32");
  return finish(filled(shapeArg("full", shape), checkDType("full", dtype), Number(value)), opts);
}

// Checked here too, so that an error names the function the user called rather than the one it forwards to.
export function zerosLike(x: Tensor, opts: TensorOptions = {}): Tensor {
  checkOptionKeys("zerosLike", opts, TENSOR_OPTION_KEYS);
  return zeros(x.shape, { dtype: x.dtype, ...opts });
}

export function onesLike(x: Tensor, opts: TensorOptions = {}): Tensor {
  checkOptionKeys("onesLike", opts, TENSOR_OPTION_KEYS);
  return ones(x.shape, { dtype: x.dtype, ...opts });
}

export function fullLike(x: Tensor, value: number, opts: TensorOptions = {}): Tensor {
  checkOptionKeys("fullLike", opts, TENSOR_OPTION_KEYS);
  return full(x.shape, value, { dtype: x.dtype, ...opts });
}

/**
 * Values start, start+step, ... below end. arange(5) is [0..4]. Integer arguments give int32 (indices, like
 * PyTorch's int64 arange); any fractional argument gives float32.
 */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  checkOptionKeys("arange", opts, TENSOR_OPTION_KEYS);
  if (end === undefined) [start, end] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new RangeError(`arange: step must be a non-zero finite number, got ${step}`);
  if ((end - start) / step < 0) throw new RangeError(`arange: the range [${start}, ${end}) with step ${step} runs the wrong way`);
  const dtype = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? "int32" : "float32");
  const n = Math.max(Math.ceil((end - start) / step), 0);
  const out = empty([n], checkDType("arange", dtype));
  for (let i = 0; i < n; i++) out.data[i] = start + i * step;
  return finish(out, opts);
}

export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  checkOptionKeys("linspace", opts, TENSOR_OPTION_KEYS);
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const out = empty([steps], checkDType("linspace", opts.dtype ?? "float32"));
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // PyTorch fills the second half from the end so that the last value is exactly `end`.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out.data[i] = i < half ? start + i * step : end - (steps - 1 - i) * step;
  if (steps === 1) out.data[0] = start; // the loop above would write `end` (half is 0); PyTorch gives [start]
  return finish(out, opts);
}

export function eye(n: number, m = n, opts: TensorOptions = {}): Tensor {
  checkOptionKeys("eye", opts, TENSOR_OPTION_KEYS);
  const out = filled(checkShape("eye", [n, m]), checkDType("eye", opts.dtype ?? "float32"), 0);
  for (let i = 0; i < Math.min(n, m); i++) out.data[i * m + i] = 1;
  return finish(out, opts);
}

function randomFill(op: string, shape: number | readonly number[], opts: RandomOptions, draw: (g: Generator) => number): Tensor {
  checkOptionKeys(op, opts, RANDOM_OPTION_KEYS);
  const dtype = checkDType(op, opts.dtype ?? "float32");
  if (!isFloat(dtype)) throw new TypeError(`${op}: dtype must be floating point, got ${dtype}`);
  const s = shapeArg(op, shape);
  const g = opts.generator ?? defaultGenerator;
  const out = empty(s, dtype);
  for (let i = 0; i < out.data.length; i++) out.data[i] = draw(g);
  return finish(out, opts);
}

/** Uniform on [0, 1). */
export function rand(shape: number | readonly number[], opts: RandomOptions = {}): Tensor {
  return randomFill("rand", shape, opts, (g) => g.random());
}

/** Standard normal. */
export function randn(shape: number | readonly number[], opts: RandomOptions = {}): Tensor {
  return randomFill("randn", shape, opts, (g) => g.normal());
}

/** Uniform integers in [low, high), int32. */
export function randint(low: number, high: number, shape: number | readonly number[], opts: RandomOptions = {}): Tensor {
  checkOptionKeys("randint", opts, RANDOM_OPTION_KEYS);
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new RangeError(`randint: need integers low < high, got ${low} and ${high}`);
  const s = shapeArg("randint", shape);
  const g = opts.generator ?? defaultGenerator;
  const out = empty(s, checkDType("randint", opts.dtype ?? "int32"));
  for (let i = 0; i < out.data.length; i++) out.data[i] = g.int(low, high);
  return out;
}

/** A random permutation of 0..n-1 (Fisher-Yates), int32. */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  checkOptionKeys("randperm", opts, RANDOM_OPTION_KEYS);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`randperm: n must be a non-negative integer, got ${n}`);
  const g = opts.generator ?? defaultGenerator;
  const out = allocate("int32", n) as Int32Array;
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.int(0, i + 1);
    const tmp = out[i]; out[i] = out[j]; out[j] = tmp;
  }
  return new Tensor(out, [n]);
}

/** Fills a tensor's storage in place from a generator draw (used by nn.init). */
export function fillRandom(t: Tensor, draw: (g: Generator) => number, generator: Generator = defaultGenerator): Tensor {
  const n = numel(t.shape);
  if (!t.isContiguous()) throw new Error("fillRandom: tensor must be contiguous");
  for (let i = 0; i < n; i++) t.data[t.offset + i] = draw(generator);
  return t;
}
