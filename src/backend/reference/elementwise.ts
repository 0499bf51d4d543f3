import type { BinaryOp, UnaryOp, View } from "../backend.js";
import type { TypedArray } from "../../tensor/dtype.js";
import { forEachRow } from "./strided.js";
import { erf, gelu, geluTanh, roundHalfEven, sigmoid } from "./math.js";

type F1 = (x: number, p0: number, p1: number) => number;

const UNARY: Record<UnaryOp, F1> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x), // keeps 0 and NaN
  sin: Math.sin,
  cos: Math.cos,
  reciprocal: (x) => 1 / x,
  square: (x) => x * x,
  erf,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  log1p: Math.log1p,
  expm1: Math.expm1,
  tanh: Math.tanh,
  sigmoid,
  relu: (x) => (x > 0 ? x : x !== x ? x : 0),
  gelu,
  geluTanh,
  silu: (x) => x * sigmoid(x),
  leakyRelu: (x, slope) => (x > 0 ? x : x * slope),
  elu: (x, alpha) => (x > 0 ? x : alpha * Math.expm1(x)),
  // PyTorch's softplus returns x itself once beta*x passes the threshold, where log1p(exp) would only round.
  softplus: (x, beta, threshold) => (x * beta > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta),
  // A missing bound (NaN) must become an infinite one: standing in x for it would undo the other bound.
  clamp: (x, lo, hi) => (x !== x ? x : Math.min(Math.max(x, Number.isNaN(lo) ? -Infinity : lo), Number.isNaN(hi) ? Infinity : hi)),
  isnan: (x) => (x !== x ? 1 : 0),
  isinf: (x) => (x === Infinity || x === -Infinity ? 1 : 0),
  not: (x) => (x === 0 ? 1 : 0), // NaN is true, as in PyTorch (JavaScript's truthiness would make it false)
};

export function unary(op: UnaryOp, x: TypedArray, out: TypedArray, p0 = 0, p1 = 0): void {
  const f = UNARY[op];
  const n = out.length;
  switch (op) {
    case "relu":
      for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v > 0 ? v : v !== v ? v : 0; }
      return;
    case "neg":
      for (let i = 0; i < n; i++) out[i] = -x[i];
      return;
    default:
      for (let i = 0; i < n; i++) out[i] = f(x[i], p0, p1);
  }
}

type F2 = (a: number, b: number) => number;

/** C's pow (and PyTorch's), where JavaScript's differs: 1 to any power, NaN included, and -1 to an infinite power
 *  are 1 (Math.pow gives NaN). */
function pow(a: number, b: number): number {
  if (a === 1 || (a === -1 && (b === Infinity || b === -Infinity))) return 1;
  return Math.pow(a, b);
}

const BINARY: Record<BinaryOp, F2> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow,
  maximum: (a, b) => (a !== a || b !== b ? NaN : Math.max(a, b)),
  minimum: (a, b) => (a !== a || b !== b ? NaN : Math.min(a, b)),
  atan2: Math.atan2,
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  and: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  or: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  // PyTorch's threshold_backward: zero where the output is <= 0, so a NaN passes its gradient on.
  reluBackward: (a, b) => (a <= 0 ? 0 : b),
};

export function binary(op: BinaryOp, a: View, b: View, shape: readonly number[], out: TypedArray): void {
  const A = a.data, B = b.data;
  let o = 0;
  // The four arithmetic ops get their own loops: they carry training, and a call per element costs ~3x.
  forEachRow(shape, [a.offset, b.offset], [a.strides, b.strides], (n, [ia0, ib0], [sa, sb]) => {
    let ia = ia0, ib = ib0;
    switch (op) {
      case "add": for (let j = 0; j < n; j++, ia += sa, ib += sb) out[o++] = A[ia] + B[ib]; break;
      case "sub": for (let j = 0; j < n; j++, ia += sa, ib += sb) out[o++] = A[ia] - B[ib]; break;
      case "mul": for (let j = 0; j < n; j++, ia += sa, ib += sb) out[o++] = A[ia] * B[ib]; break;
      case "div": for (let j = 0; j < n; j++, ia += sa, ib += sb) out[o++] = A[ia] / B[ib]; break;
      default: {
        const f = BINARY[op];
        for (let j = 0; j < n; j++, ia += sa, ib += sb) out[o++] = f(A[ia], B[ib]);
      }
    }
  });
}

export function where(cond: View, a: View, b: View, shape: readonly number[], out: TypedArray): void {
  const C = cond.data, A = a.data, B = b.data;
  let o = 0;
  forEachRow(shape, [cond.offset, a.offset, b.offset], [cond.strides, a.strides, b.strides], (n, [ic0, ia0, ib0], [sc, sa, sb]) => {
    for (let j = 0, ic = ic0, ia = ia0, ib = ib0; j < n; j++, ic += sc, ia += sa, ib += sb) out[o++] = C[ic] ? A[ia] : B[ib];
  });
}

export function copy(src: View, shape: readonly number[], out: TypedArray): void {
  const S = src.data;
  let o = 0;
  // Converting to bool means "non-zero", which a plain typed-array store would not do (0.5 -> 0).
  const toBool = out instanceof Uint8Array && !(S instanceof Uint8Array);
  forEachRow(shape, [src.offset], [src.strides], (n, [is0], [ss]) => {
    if (toBool) for (let j = 0, is = is0; j < n; j++, is += ss) out[o++] = S[is] !== 0 ? 1 : 0; // NaN is true too
    else if (ss === 1) { out.set(S.subarray(is0, is0 + n), o); o += n; }
    else for (let j = 0, is = is0; j < n; j++, is += ss) out[o++] = S[is];
  });
}

export function scatterInto(src: TypedArray, shape: readonly number[], dst: View): void {
  const D = dst.data;
  let i = 0;
  forEachRow(shape, [dst.offset], [dst.strides], (n, [id0], [sd]) => {
    for (let j = 0, id = id0; j < n; j++, id += sd) D[id] = src[i++];
  });
}
