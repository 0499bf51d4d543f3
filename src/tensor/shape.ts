// Shape arithmetic shared by every op: sizes, strides, broadcasting, and axis normalisation with errors that
// name the op and the shapes involved.

export type Shape = readonly number[];

export class ShapeError extends Error {
  override name = "ShapeError";
}

export function fmt(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/**
 * shape.slice(start, end) for a tensor's shape or strides. Those arrays are frozen, and V8 copies a frozen array
 * on a slow path: Array.prototype.slice cost ~0.2 us there against ~0.02 us for this loop, and ops slice shapes
 * several times each (a batch-1 forward spent more time slicing shapes than multiplying its last layer).
 */
export function sliceDims(shape: Shape, start = 0, end = shape.length): number[] {
  const n = shape.length;
  const lo = start < 0 ? Math.max(0, n + start) : Math.min(start, n);
  const hi = end < 0 ? Math.max(0, n + end) : Math.min(end, n);
  const out: number[] = [];
  for (let i = lo; i < hi; i++) out.push(shape[i]);
  return out;
}

export function numel(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]; // indexed: for-of is 3x slower on a frozen array
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Whether two shapes are the same, dimension by dimension (an indexed loop: see sliceDims). */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i];
  }
  return true;
}

export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array of sizes, got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${op}: invalid size ${d} in shape ${fmt(shape)}`);
  }
  return shape.slice();
}

export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  let ndim = 0;
  for (let k = 0; k < shapes.length; k++) ndim = Math.max(ndim, shapes[k].length);
  const out: number[] = [];
  for (let i = 0; i < ndim; i++) out.push(1);
  for (let k = 0; k < shapes.length; k++) {
    const s = shapes[k];
    for (let i = 0; i < s.length; i++) {
      const o = ndim - s.length + i;
      const d = s[i];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else throw new ShapeError(`${op}: shapes ${shapes.map(fmt).join(" and ")} cannot be broadcast (dimension ${o - ndim}: ${out[o]} vs ${d})`);
    }
  }
  return out;
}

/** Strides that read a tensor of `shape`/`strides` as if it had the (broadcast) shape `to`: size-1 dims get stride 0. */
export function broadcastStrides(shape: Shape, strides: readonly number[], to: Shape): number[] {
  const out: number[] = [];
  for (let i = 0; i < to.length; i++) out.push(0);
  const lead = to.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[lead + i] = shape[i] === 1 && to[lead + i] !== 1 ? 0 : strides[i];
  return out;
}

export function normalizeDim(op: string, dim: number, ndim: number): number {
  const lo = -Math.max(ndim, 1), hi = Math.max(ndim, 1) - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new RangeError(`${op}: dimension ${dim} is out of range for a tensor of ${ndim} dimension${ndim === 1 ? "" : "s"} (expected ${lo} to ${hi})`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** Normalised, sorted, unique dims; undefined means all dims. */
export function normalizeDims(op: string, dims: number | readonly number[] | undefined, ndim: number): number[] {
  if (dims === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === "number" ? [dims] : dims;
  const out = list.map((d) => normalizeDim(op, d, ndim));
  if (ndim === 0) return [];
  const set = new Set(out);
  if (set.size !== out.length) throw new RangeError(`${op}: dimension repeated in ${fmt(list)}`);
  return [...set].sort((a, b) => a - b);
}
