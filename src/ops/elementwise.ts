// Elementwise ops with NumPy broadcasting. Each forward is followed by its gradient rule.

import type { BinaryOp, UnaryOp } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import { record } from "../autograd/graph.js";
import { dtypeWithScalar, isFloat, resultType, type DType } from "../tensor/dtype.js";
import { ShapeError, broadcastShapes, broadcastStrides, fmt, sameShape } from "../tensor/shape.js";
import { Tensor, contiguousData, empty, filled, viewOf, type TensorLike } from "../tensor/tensor.js";
import { sumToShape } from "./reduce.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

// ---- dtype handling ----------------------------------------------------------------------------------------------

export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = empty(x.shape, dtype);
  getBackend().copy(viewOf(x), x.shape, out.data);
  return record("cast", out, [x], (g) => [g.to(x.dtype)]);
}

/** Turns a scalar operand into a 0-d tensor and both operands to their common dtype (PyTorch's rules). */
function lift(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new TypeError(`${op}: expected at least one tensor operand, got ${typeof a} and ${typeof b}`);
  let ta: Tensor, tb: Tensor;
  if (a instanceof Tensor && b instanceof Tensor) {
    const dt = resultType(a.dtype, a.ndim, b.dtype, b.ndim);
    ta = a.to(dt); tb = b.to(dt);
  } else if (a instanceof Tensor) {
    const dt = dtypeWithScalar(a.dtype, b as number | boolean);
    ta = a.to(dt); tb = filled([], dt, Number(b));
  } else {
    const t = b as Tensor;
    const dt = dtypeWithScalar(t.dtype, a as number | boolean);
    tb = t.to(dt); ta = filled([], dt, Number(a));
  }
  return [ta, tb];
}

function binaryKernel(op: BinaryOp, a: Tensor, b: Tensor, outDtype: DType, name: string): Tensor {
  if (sameShape(a.shape, b.shape) && a.isContiguous() && b.isContiguous()) {
    // The common case (two activations, a gradient and its input): no broadcasting to work out. Both operands are
    // laid out as the output is, so its strides describe them too.
    const out = empty(a.shape, outDtype);
    getBackend().binary(op, { data: a.data, offset: a.offset, strides: out.strides }, { data: b.data, offset: b.offset, strides: out.strides }, out.shape, out.data);
    return out;
  }
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = empty(shape, outDtype);
  getBackend().binary(op, { data: a.data, offset: a.offset, strides: broadcastStrides(a.shape, a.strides, shape) },
    { data: b.data, offset: b.offset, strides: broadcastStrides(b.shape, b.strides, shape) }, shape, out.data);
  return out;
}

/**
 * t = t (op) other, written straight into t's storage with no temporary, when that is safe and the result is t's
 * own dtype: t contiguous and floating point, other of t's dtype (or a number), broadcasting to t's shape, and not
 * sharing t's storage. Returns false, having done nothing, otherwise (the caller takes the general path).
 */
export function binaryInPlace(op: "add" | "sub" | "mul" | "div", t: Tensor, other: TensorLike): boolean {
  if (!isFloat(t.dtype) || !t.isContiguous()) return false;
  const b = other instanceof Tensor ? other : typeof other === "number" ? filled([], t.dtype, other) : null;
  if (b === null || b.dtype !== t.dtype || b.data === t.data || b.ndim > t.ndim) return false;
  if (b.shape.some((n, i) => n !== 1 && n !== t.shape[t.ndim - b.ndim + i])) return false;
  getBackend().binary(op, viewOf(t), { data: b.data, offset: b.offset, strides: broadcastStrides(b.shape, b.strides, t.shape) },
    t.shape, t.data.subarray(t.offset, t.offset + t.numel()));
  return true;
}

function unaryKernel(op: UnaryOp, x: Tensor, outDtype: DType = x.dtype, p0?: number, p1?: number): Tensor {
  const out = empty(x.shape, outDtype);
  getBackend().unary(op, contiguousData(x), out.data, p0, p1);
  return out;
}

/** relu's gradient: g where x > 0, else 0, in one kernel pass (no boolean mask tensor). With `inPlace` (g is the
 *  caller's to overwrite: see GradRule) it is written into g's storage when g's layout allows. */
export function reluBackward(x: Tensor, g: Tensor, inPlace = false): Tensor {
  if (inPlace && g.dtype === x.dtype && g.isContiguous() && g.offset === 0 && g.data.length === g.numel() && sameShape(g.shape, x.shape)) {
    getBackend().binary("reluBackward", { data: x.data, offset: x.offset, strides: x.strides }, { data: g.data, offset: 0, strides: g.strides }, g.shape, g.data);
    return g;
  }
  return binaryKernel("reluBackward", x, g.to(x.dtype), x.dtype, "relu backward");
}

/** A unary op whose result is floating point: integer inputs are promoted to float32 first (as exp(int) is in PyTorch). */
export function floatUnary(op: UnaryOp, x: Tensor, p0?: number, p1?: number): Tensor {
  const xf = isFloat(x.dtype) ? x : x.to("float32");
  return unaryKernel(op, xf, xf.dtype, p0, p1);
}

// ---- arithmetic --------------------------------------------------------------------------------------------------

export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift("add", a, b);
  const out = binaryKernel("add", x, y, x.dtype, "add");
  return record("add", out, [x, y], (g) => [sumToShape(g, x.shape), sumToShape(g, y.shape)]);
}

export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift("sub", a, b);
  if (x.dtype === "bool") throw new TypeError("sub: subtracting bool tensors is not supported; use logicalXor or cast to int32");
  const out = binaryKernel("sub", x, y, x.dtype, "sub");
  return record("sub", out, [x, y], (g) => [sumToShape(g, x.shape), sumToShape(g.neg(), y.shape)]);
}

export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift("mul", a, b);
  const out = binaryKernel("mul", x, y, x.dtype, "mul");
  return record("mul", out, [x, y], (g) => [sumToShape(g.mul(y), x.shape), sumToShape(g.mul(x), y.shape)]);
}

/** True division: integer operands give a float32 result, as in PyTorch. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  let [x, y] = lift("div", a, b);
  if (!isFloat(x.dtype)) { x = x.to("float32"); y = y.to("float32"); }
  const out = binaryKernel("div", x, y, x.dtype, "div");
  return record("div", out, [x, y], (g) => [
    sumToShape(g.div(y), x.shape),
    sumToShape(g.neg().mul(x).div(y.square()), y.shape),
  ]);
}

export function pow(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift("pow", a, b);
  if (x.dtype === "int32" && y.lt(0).any().item()) {
    throw new RangeError("pow: integers cannot be raised to negative integer powers (as in PyTorch); use a float tensor");
  }
  const out = binaryKernel("pow", x, y, x.dtype, "pow");
  return record("pow", out, [x, y], (g) => [
    // d/dx x^y = y x^(y-1), defined as 0 where y == 0 (as PyTorch does): 0 * 0^-1 would be NaN at x == 0.
    x.requiresGrad ? sumToShape(where(y.eq(0), 0, g.mul(y).mul(pow(x, y.sub(1)))), x.shape) : null,
    // d/dy x^y = x^y log x; PyTorch defines it as 0 where x == 0 and y >= 0 rather than 0 * -inf.
    y.requiresGrad ? sumToShape(where(x.eq(0).logicalAnd(y.ge(0)), 0, g.mul(out).mul(x.log())), y.shape) : null,
  ]);
}

/** Ties split the gradient equally between the two inputs, as PyTorch does. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return minmax("maximum", a, b);
}

export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return minmax("minimum", a, b);
}

function minmax(op: "maximum" | "minimum", a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift(op, a, b);
  const out = binaryKernel(op, x, y, x.dtype, op);
  return record(op, out, [x, y], (g) => {
    const xWins = op === "maximum" ? x.gt(y) : x.lt(y);
    const tie = x.eq(y);
    const half = g.mul(0.5);
    return [
      sumToShape(where(xWins, g, where(tie, half, 0)), x.shape),
      sumToShape(where(xWins, 0, where(tie, half, g)), y.shape),
    ];
  });
}

// ---- comparison and logic (results are bool, no gradient) --------------------------------------------------------

function compare(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift(op, a, b);
  return binaryKernel(op, x, y, "bool", op);
}

export const eq = (a: TensorLike, b: TensorLike): Tensor => compare("eq", a, b);
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare("ne", a, b);
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare("lt", a, b);
export const le = (a: TensorLike, b: TensorLike): Tensor => compare("le", a, b);
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare("gt", a, b);
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare("ge", a, b);
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => compare("and", a, b);
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => compare("or", a, b);
export const logicalNot = (x: Tensor): Tensor => unaryKernel("not", x, "bool");
export const isnan = (x: Tensor): Tensor => unaryKernel("isnan", x, "bool");
export const isinf = (x: Tensor): Tensor => unaryKernel("isinf", x, "bool");

/** Elements of a where cond is true, else of b; all three broadcast together. With two scalars, the result's dtype
 *  is PyTorch's for them: bool for two booleans, int32 for integers, float32 when either is fractional. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!(cond instanceof Tensor)) throw new TypeError("where: the condition must be a tensor");
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    a = filled([], typeof a === "boolean" ? "bool" : Number.isInteger(a) ? "int32" : "float32", Number(a));
  }
  const [x, y] = lift("where", a, b);
  const c = cond.dtype === "bool" ? cond : cond.to("bool");
  const shape = broadcastShapes("where", c.shape, x.shape, y.shape);
  const out = empty(shape, x.dtype);
  const v = (t: Tensor) => ({ data: t.data, offset: t.offset, strides: broadcastStrides(t.shape, t.strides, shape) });
  getBackend().where(v(c), v(x), v(y), shape, out.data);
  return record("where", out, [x, y], (g) => [
    x.requiresGrad ? sumToShape(where(c, g, 0), x.shape) : null,
    y.requiresGrad ? sumToShape(where(c, 0, g), y.shape) : null,
  ]);
}

/** x with `value` wherever mask (bool, broadcast to x's shape) is true (torch.masked_fill); keeps x's dtype. */
export function maskedFill(x: Tensor, mask: Tensor, value: number | boolean): Tensor {
  if (!(mask instanceof Tensor) || mask.dtype !== "bool") throw new TypeError(`maskedFill: mask must be a bool tensor, got ${mask instanceof Tensor ? mask.dtype : typeof mask}`);
  broadcastShapes("maskedFill", mask.shape, x.shape); // the result has the broadcast shape, as in PyTorch
  if (x.dtype === "int32" && !Number.isFinite(Number(value))) throw new TypeError(`maskedFill: ${value} cannot be stored in an int32 tensor`);
  return where(mask, filled([], x.dtype, Number(value)), x);
}

/** The lower triangle of the last two dims (torch.tril): entries with column - row <= diagonal, zeros elsewhere. */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle("tril", x, diagonal, true);
}

/** The upper triangle of the last two dims (torch.triu): entries with column - row >= diagonal, zeros elsewhere. */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle("triu", x, diagonal, false);
}

function triangle(op: string, x: Tensor, diagonal: number, lower: boolean): Tensor {
  if (x.ndim < 2) throw new ShapeError(`${op}: expected a tensor of at least 2 dimensions, got shape ${fmt(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new TypeError(`${op}: diagonal must be an integer, got ${diagonal}`);
  const rows = x.shape[x.ndim - 2], cols = x.shape[x.ndim - 1];
  const keep = new Uint8Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) keep[i * cols + j] = Number(lower ? j - i <= diagonal : j - i >= diagonal);
  return where(new Tensor(keep, [rows, cols]), x, filled([], x.dtype, 0));
}

export interface IscloseOptions {
  rtol?: number;
  atol?: number;
  equalNan?: boolean;
}

const ISCLOSE_OPTION_KEYS = optionKeys<IscloseOptions>({ rtol: true, atol: true, equalNan: true });

/**
 * Whether each pair is close (torch.isclose): |a - b| <= atol + rtol * |b|, or equal (so equal infinities are
 * close); NaNs are close to each other only with equalNan.
 */
export function isclose(a: Tensor, b: Tensor, opts: IscloseOptions = {}): Tensor {
  checkOptionKeys("isclose", opts, ISCLOSE_OPTION_KEYS);
  const { rtol = 1e-5, atol = 1e-8, equalNan = false } = opts;
  if (a.dtype === "bool" && b.dtype === "bool") return a.eq(b);
  const near = a.sub(b).abs().le(b.abs().mul(rtol).add(atol));
  const close = logicalOr(a.eq(b), logicalAnd(near, logicalAnd(isfinite(a), isfinite(b))));
  return equalNan ? logicalOr(close, logicalAnd(a.isnan(), b.isnan())) : close;
}

/** Whether every pair is close (torch.allclose; see isclose): a boolean, not a tensor. */
export function allclose(a: Tensor, b: Tensor, opts: IscloseOptions = {}): boolean {
  checkOptionKeys("allclose", opts, ISCLOSE_OPTION_KEYS);
  return isclose(a, b, opts).logicalNot().sum().item() === 0;
}

/** Whether a and b have the same shape and equal elements (torch.equal): a boolean. */
export function equal(a: Tensor, b: Tensor): boolean {
  return sameShape(a.shape, b.shape) && a.ne(b).sum().item() === 0;
}

/** True where x is neither infinite nor NaN (torch.isfinite). */
export const isfinite = (x: Tensor): Tensor => logicalNot(logicalOr(isnan(x), isinf(x)));

// ---- unary math --------------------------------------------------------------------------------------------------

export function neg(x: Tensor): Tensor {
  if (x.dtype === "bool") throw new TypeError("neg: negation of a bool tensor is not supported; use logicalNot");
  return record("neg", unaryKernel("neg", x), [x], (g) => [g.neg()]);
}

export function exp(x: Tensor): Tensor {
  const out = floatUnary("exp", x);
  return record("exp", out, [x], (g) => [g.mul(out)]);
}

export function expm1(x: Tensor): Tensor {
  const out = floatUnary("expm1", x);
  return record("expm1", out, [x], (g) => [g.mul(out.add(1))]);
}

export function log(x: Tensor): Tensor {
  return record("log", floatUnary("log", x), [x], (g) => [g.div(x)]);
}

export function log1p(x: Tensor): Tensor {
  return record("log1p", floatUnary("log1p", x), [x], (g) => [g.div(x.add(1))]);
}

export function sqrt(x: Tensor): Tensor {
  const out = floatUnary("sqrt", x);
  return record("sqrt", out, [x], (g) => [g.div(out.mul(2))]);
}

export function rsqrt(x: Tensor): Tensor {
  const out = floatUnary("rsqrt", x);
  // d/dx x^(-1/2) = -1/2 x^(-3/2) = -1/2 out^3
  return record("rsqrt", out, [x], (g) => [g.mul(out.pow(3)).mul(-0.5)]);
}

export function abs(x: Tensor): Tensor {
  return record("abs", unaryKernel("abs", x), [x], (g) => [g.mul(x.sign())]);
}

export function sign(x: Tensor): Tensor {
  return record("sign", unaryKernel("sign", x), [x], (g) => [g.zerosLike()]);
}

export function sin(x: Tensor): Tensor {
  return record("sin", floatUnary("sin", x), [x], (g) => [g.mul(x.cos())]);
}

export function cos(x: Tensor): Tensor {
  return record("cos", floatUnary("cos", x), [x], (g) => [g.mul(x.sin()).neg()]);
}

export function reciprocal(x: Tensor): Tensor {
  const out = floatUnary("reciprocal", x);
  return record("reciprocal", out, [x], (g) => [g.mul(out.square()).neg()]);
}

export function square(x: Tensor): Tensor {
  return record("square", unaryKernel("square", x), [x], (g) => [g.mul(x).mul(2)]);
}

export function erf(x: Tensor): Tensor {
  // d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
  return record("erf", floatUnary("erf", x), [x], (g) => [g.mul(x.square().neg().exp()).mul(2 / Math.sqrt(Math.PI))]);
}

// Rounding is piecewise constant: its gradient is zero everywhere it exists, as in PyTorch.
export function floor(x: Tensor): Tensor {
  return record("floor", unaryKernel("floor", x), [x], (g) => [g.zerosLike()]);
}

export function ceil(x: Tensor): Tensor {
  return record("ceil", unaryKernel("ceil", x), [x], (g) => [g.zerosLike()]);
}

export function round(x: Tensor): Tensor {
  return record("round", unaryKernel("round", x), [x], (g) => [g.zerosLike()]);
}

/** Clamps into [min, max]; either bound may be null. The gradient passes where min <= x <= max. An integer tensor
 *  with a fractional bound is clamped as float32, as in PyTorch (the bounds are not truncated). */
export function clamp(input: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? NaN, hi = max ?? NaN;
  if (Number.isNaN(lo) && Number.isNaN(hi)) throw new TypeError("clamp: at least one of min and max must be given");
  let dtype = input.dtype;
  for (const bound of [lo, hi]) if (!Number.isNaN(bound)) dtype = dtypeWithScalar(dtype, bound);
  const x = input.to(dtype);
  const out = unaryKernel("clamp", x, x.dtype, lo, hi);
  return record("clamp", out, [x], (g) => {
    let pass = x.eq(x); // all true (false at NaN)
    if (!Number.isNaN(lo)) pass = pass.logicalAnd(x.ge(lo));
    if (!Number.isNaN(hi)) pass = pass.logicalAnd(x.le(hi));
    return [where(pass, g, 0)];
  });
}
