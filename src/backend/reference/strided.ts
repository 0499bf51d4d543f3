// Walking strided views in row-major order. Adjacent dimensions that are laid out contiguously in every view are
// merged first, so a contiguous or simply-broadcast operand runs as one flat inner loop.

export interface Collapsed {
  shape: number[];
  strides: number[][]; // one stride list per view
}

export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): Collapsed {
  // Indexed loops, no callbacks: every native elementwise op with broadcasting calls this.
  const nv = strides.length;
  const outShape: number[] = [];
  const outStrides: number[][] = [];
  for (let v = 0; v < nv; v++) outStrides.push([]);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    const last = outShape.length - 1;
    let mergeable = last >= 0;
    for (let v = 0; v < nv && mergeable; v++) mergeable = outStrides[v][last] === strides[v][d] * size;
    if (mergeable) {
      outShape[last] *= size;
      for (let v = 0; v < nv; v++) outStrides[v][last] = strides[v][d];
    } else {
      outShape.push(size);
      for (let v = 0; v < nv; v++) outStrides[v].push(strides[v][d]);
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Calls `inner(count, offsets, innerStrides)` once per row of the collapsed iteration space, where a row is the
 * last (merged) dimension. offsets[v] is view v's starting element for that row.
 */
export function forEachRow(
  shape: readonly number[],
  offsets: readonly number[],
  strides: readonly (readonly number[])[],
  inner: (count: number, offsets: number[], innerStrides: number[]) => void,
): void {
  const c = collapse(shape, strides);
  const nd = c.shape.length;
  const cur = offsets.slice();
  if (nd === 0) {
    inner(1, cur, strides.map(() => 0));
    return;
  }
  const n = c.shape[nd - 1];
  const innerStrides = c.strides.map((s) => s[nd - 1]);
  let rows = 1;
  for (let d = 0; d < nd - 1; d++) rows *= c.shape[d];
  const idx = new Array<number>(nd).fill(0);
  const nv = strides.length;
  for (let r = 0; r < rows; r++) {
    inner(n, cur, innerStrides);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      for (let v = 0; v < nv; v++) cur[v] += c.strides[v][d];
      if (idx[d] < c.shape[d]) break;
      for (let v = 0; v < nv; v++) cur[v] -= c.strides[v][d] * c.shape[d];
      idx[d] = 0;
    }
  }
}
