import { test } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";

test("a tiny network's gradient flows from loss back to both inputs", () => {
  const a = ax.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  const b = ax.tensor([[1, 0], [0, 1], [1, 1]], { requiresGrad: true });
  const loss = a.matmul(b).relu().sum();
  loss.backward();
  assert.equal(loss.item(), 30);
  assert.deepEqual(a.grad!.toArray(), [[1, 1, 2], [1, 1, 2]]);
  assert.deepEqual(b.grad!.toArray(), [[5, 5], [7, 7], [9, 9]]);
});
