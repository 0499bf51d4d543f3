// softmax and logSoftmax run as one backend kernel. Their oracle is the composition they replaced, written here
// with plain ops: shift each line by its maximum (by 0 where the maximum is infinite), exp, sum, divide or
// subtract the log. The kernel must agree with it on every backend, edge cases included (lines of -inf, +inf,
// NaN, huge and tiny values, a middle axis with inner > 1, 0-d and 1-element inputs), and give PyTorch's values
// where PyTorch pins them down.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";
import type { Tensor } from "../src/index.js";

function oracle(x: Tensor, dim: number, log: boolean): Tensor {
  return ax.noGrad(() => {
    const mx = x.amax(dim, true);
    const z = x.sub(mx); // PyTorch's shift: an infinite maximum makes the line NaN (inf - inf, -inf - -inf)
    return log ? z.sub(z.exp().sum(dim, true).log()) : z.exp().div(z.exp().sum(dim, true));
  });
}

function sameValues(got: Tensor, want: Tensor, tol: number, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  const a = got.contiguous().toTypedArray(), b = want.contiguous().toTypedArray();
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(b[i]) || Number.isNaN(a[i])) {
      assert.ok(Number.isNaN(a[i]) && Number.isNaN(b[i]), `${what}[${i}]: got ${a[i]}, oracle ${b[i]}`);
      continue;
    }
    if (!Number.isFinite(b[i])) { assert.equal(a[i], b[i], `${what}[${i}]`); continue; }
    assert.ok(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${what}[${i}]: got ${a[i]}, oracle ${b[i]}`);
  }
}

const inf = Infinity;
const CASES: Array<[string, number[][] | number[], number]> = [
  ["rows", [[1, 2, 3, 4], [-1, 0.5, 2, -3], [10, 10, 10, 10]], -1],
  ["columns (inner > 1)", [[1, 2, 3], [4, -5, 6], [0.1, 0.2, -0.3]], 0],
  ["huge and tiny", [[1000, 999, -1000], [-1e30, 1e-30, 0]], 1],
  ["a -inf entry", [[-inf, 0, 1], [2, -inf, -inf]], 1],
  ["a line of -inf (NaN, as PyTorch)", [[-inf, -inf, -inf], [0, 0, 0]], 1],
  ["+inf makes its line NaN, as in PyTorch", [[inf, 0, 1], [1, 2, 3]], 1],
  ["NaN poisons its line only", [[NaN, 0, 1], [1, 2, 3]], 1],
  ["one element", [[5], [-2]], 1],
];

const previous = ax.getBackend().name;
for (const backend of ax.listBackends()) {
  describe(`softmax and logSoftmax match their composition on the ${backend} backend`, () => {
    before(() => ax.setBackend(backend));
    after(() => ax.setBackend(previous));
    for (const dtype of ["float32", "float64"] as const) {
      for (const [name, data, dim] of CASES) {
        test(`${name} (${dtype})`, () => {
          const x = ax.tensor(data, { dtype });
          const tol = dtype === "float32" ? 4e-7 : 1e-14;
          sameValues(x.softmax(dim), oracle(x, dim, false), tol, `softmax ${name}`);
          sameValues(x.logSoftmax(dim), oracle(x, dim, true), tol, `logSoftmax ${name}`);
        });
      }
      test(`a 4-D input along each axis, and a 0-d input (${dtype})`, () => {
        ax.manualSeed(3);
        const x = ax.randn([2, 3, 4, 5], { dtype }).mul(4);
        for (let d = -4; d < 4; d++) {
          sameValues(x.softmax(d), oracle(x, d, false), dtype === "float32" ? 4e-7 : 1e-14, `softmax dim ${d}`);
          sameValues(x.logSoftmax(d), oracle(x, d, true), dtype === "float32" ? 2e-6 : 1e-13, `logSoftmax dim ${d}`);
        }
        assert.equal(ax.tensor(3, { dtype }).softmax(0).item(), 1);
        assert.equal(ax.tensor(3, { dtype }).logSoftmax(-1).item(), 0);
      });
    }
    test("int inputs are computed in float32, and a line of -inf gives NaN as in PyTorch", () => {
      const y = ax.tensor([[1, 2]], { dtype: "int32" }).softmax(1);
      assert.equal(y.dtype, "float32");
      const z = ax.tensor([[-inf, -inf]]).logSoftmax(1).toArray() as number[][];
      assert.ok(Number.isNaN(z[0][0]) && Number.isNaN(z[0][1]));
    });
  });
}
