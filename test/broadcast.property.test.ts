// Property tests for broadcasting: random compatible shapes (seeded with our own Generator), each binary op
// against a naive reference that maps every output position to its operands' positions by hand, and the gradients
// of broadcast ops against the same reference summing the upstream gradient over the broadcast positions.
// Operands are sometimes non-contiguous views (a transposed or stepped slice), so strides are exercised too.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";
import type { Tensor } from "../src/index.js";

const TRIALS = 150;

// ---- the naive reference -------------------------------------------------------------------------------------
function refShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length), out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1, db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(Math.max(da, db));
  }
  return out;
}

/** Row-major flat position in `shape` that output multi-index `idx` (of a larger, broadcast shape) reads. */
function sourcePos(idx: readonly number[], shape: readonly number[]): number {
  let pos = 0;
  const lead = idx.length - shape.length;
  for (let d = 0; d < shape.length; d++) pos = pos * shape[d] + (shape[d] === 1 ? 0 : idx[lead + d]);
  return pos;
}

function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((p, d) => p * d, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < n; f++) {
    yield idx;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

type Op = { name: string; axon: (a: Tensor, b: Tensor) => Tensor; ref: (x: number, y: number) => number; positiveA?: boolean };
const OPS: Op[] = [
  { name: "add", axon: (a, b) => a.add(b), ref: (x, y) => x + y },
  { name: "sub", axon: (a, b) => a.sub(b), ref: (x, y) => x - y },
  { name: "mul", axon: (a, b) => a.mul(b), ref: (x, y) => x * y },
  { name: "div", axon: (a, b) => a.div(b), ref: (x, y) => x / y },
  { name: "pow", axon: (a, b) => a.pow(b), ref: (x, y) => Math.pow(x, y), positiveA: true },
  { name: "maximum", axon: (a, b) => a.maximum(b), ref: (x, y) => Math.max(x, y) },
  { name: "minimum", axon: (a, b) => a.minimum(b), ref: (x, y) => Math.min(x, y) },
  { name: "lt", axon: (a, b) => a.lt(b), ref: (x, y) => (x < y ? 1 : 0) },
  { name: "ge", axon: (a, b) => a.ge(b), ref: (x, y) => (x >= y ? 1 : 0) },
  { name: "where", axon: (a, b) => ax.where(a.gt(0), a, b), ref: (x, y) => (x > 0 ? x : y) },
];

// ---- random shapes and operands --------------------------------------------------------------------------------
function randomPair(g: ax.Generator): [number[], number[]] {
  const out = Array.from({ length: g.int(0, 5) }, () => g.int(1, 5));
  const operand = (): number[] => {
    const s = out.slice(g.int(0, out.length + 1)); // a (possibly empty) trailing part
    return s.map((d) => (g.random() < 0.35 ? 1 : d));
  };
  return g.random() < 0.5 ? [operand(), out.slice()] : [operand(), operand()];
}

/** A float64 tensor of `shape` with its flat values, built contiguous or as a transposed/stepped view. */
function operand(g: ax.Generator, shape: number[], positive: boolean): { t: Tensor; values: Float64Array } {
  const n = shape.reduce((p, d) => p * d, 1);
  const values = Float64Array.from({ length: n }, () => (positive ? 0.5 + g.random() : Math.round(g.normal() * 8) / 4));
  let t: Tensor;
  const layout = shape.length >= 2 ? g.int(0, 3) : 0;
  if (layout === 1) {
    // store transposed, then transpose back: same values, non-contiguous strides
    const sw = [...shape];
    [sw[0], sw[1]] = [sw[1], sw[0]];
    const stored = ax.tensor(values).double().reshape(shape).transpose(0, 1).contiguous();
    t = stored.reshape(sw).transpose(0, 1);
  } else if (layout === 2) {
    // every other element of a tensor twice as long in the last dim
    const wide = ax.zeros([...shape.slice(0, -1), shape[shape.length - 1] * 2], { dtype: "float64" });
    const view = wide.slice(-1, 0, undefined, 2);
    view.copy_(ax.tensor(values).double().reshape(shape));
    t = view;
  } else {
    t = ax.tensor(values).double().reshape(shape);
  }
  return { t, values };
}

const previous = ax.getBackend().name;
for (const backend of ax.listBackends()) {
  describe(`broadcasting properties on the ${backend} backend`, () => {
    before(() => ax.setBackend(backend));
    after(() => ax.setBackend(previous));

    test("binary ops on random broadcastable shapes equal the naive reference", () => {
      const g = new ax.Generator(7);
      for (let trial = 0; trial < TRIALS; trial++) {
        const [sa, sb] = randomPair(g);
        const op = OPS[g.int(0, OPS.length)];
        const A = operand(g, sa, !!op.positiveA), B = operand(g, sb, false);
        const shape = refShape(sa, sb)!;
        const out = op.axon(A.t, B.t);
        const ctx = `${op.name} [${sa}] with [${sb}] (trial ${trial})`;
        assert.deepEqual(out.shape, shape, `${ctx}: shape`);
        const got = out.contiguous().toTypedArray();
        let f = 0;
        for (const idx of indices(shape)) {
          const want = op.ref(A.values[sourcePos(idx, sa)], B.values[sourcePos(idx, sb)]);
          assert.equal(got[f], want, `${ctx}: element ${f} at [${idx}]`);
          f++;
        }
      }
    });

    test("shapes that do not broadcast are refused, naming both shapes", () => {
      const g = new ax.Generator(8);
      let refused = 0;
      for (let trial = 0; trial < TRIALS; trial++) {
        const sa = Array.from({ length: g.int(1, 4) }, () => g.int(1, 4));
        const sb = Array.from({ length: g.int(1, 4) }, () => g.int(1, 4));
        const expected = refShape(sa, sb);
        const run = () => ax.zeros(sa).add(ax.zeros(sb));
        if (expected === null) {
          refused++;
          assert.throws(run, (e: Error) => e instanceof ax.ShapeError && e.message.startsWith(`add: shapes [${sa}] and [${sb}] cannot be broadcast`));
        } else {
          assert.deepEqual(run().shape, expected);
        }
      }
      assert.ok(refused > 10, "the generator should produce incompatible pairs too");
    });

    test("gradients of broadcast ops sum the upstream gradient over the broadcast positions", () => {
      const g = new ax.Generator(9);
      const gradOps: Op[] = [OPS[0], OPS[1], OPS[2], OPS[3]];
      for (let trial = 0; trial < TRIALS; trial++) {
        const [sa, sb] = randomPair(g);
        const op = gradOps[g.int(0, gradOps.length)];
        const A = operand(g, sa, false), B = operand(g, sb, true); // B positive: safe divisor
        const a = ax.tensor(A.values).double().reshape(sa).requiresGrad_();
        const b = ax.tensor(B.values).double().reshape(sb).requiresGrad_();
        const shape = refShape(sa, sb)!;
        const up = operand(g, shape, false);
        op.axon(a, b).backward(up.t);
        // reference: d out/d a and d out/d b at each output position, accumulated into the source positions
        const ga = new Float64Array(A.values.length), gb = new Float64Array(B.values.length);
        let f = 0;
        for (const idx of indices(shape)) {
          const pa = sourcePos(idx, sa), pb = sourcePos(idx, sb), u = up.values[f++];
          const x = A.values[pa], y = B.values[pb];
          const [da, db] = op.name === "add" ? [1, 1] : op.name === "sub" ? [1, -1] : op.name === "mul" ? [y, x] : [1 / y, -x / (y * y)];
          ga[pa] += u * da;
          gb[pb] += u * db;
        }
        const ctx = `${op.name} [${sa}] with [${sb}] (trial ${trial})`;
        for (const [name, t, want] of [["a", a, ga], ["b", b, gb]] as const) {
          assert.deepEqual(t.grad!.shape, t.shape, `${ctx}: grad ${name} shape`);
          const got = t.grad!.toTypedArray();
          for (let i = 0; i < want.length; i++) {
            assert.ok(Math.abs(got[i] - want[i]) <= 1e-12 * (1 + Math.abs(want[i])), `${ctx}: grad ${name}[${i}] is ${got[i]}, expected ${want[i]}`);
          }
        }
      }
    });

    test("scalar operands broadcast like 0-d tensors", () => {
      const g = new ax.Generator(10);
      for (let trial = 0; trial < 30; trial++) {
        const shape = Array.from({ length: g.int(0, 4) }, () => g.int(1, 4));
        const A = operand(g, shape, false);
        const s = Math.round(g.normal() * 8) / 4;
        for (const op of [OPS[0], OPS[2], OPS[5]]) {
          const viaScalar = op.axon(A.t, s as never).toTypedArray();
          const viaTensor = op.axon(A.t, ax.tensor(s).double()).toTypedArray();
          assert.deepEqual(Array.from(viaScalar), Array.from(viaTensor), `${op.name} [${shape}] with scalar ${s}`);
          assert.deepEqual(Array.from(viaScalar), Array.from(A.values, (v) => op.ref(v, s)));
        }
      }
    });
  });
}
