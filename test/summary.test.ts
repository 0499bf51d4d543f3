import { test } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";
const { nn } = ax;

test("summary lists every leaf layer with its output shape and parameter count", () => {
  const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10, { bias: false }));
  const s = ax.summary(model, [1, 28, 28]);
  assert.deepEqual(s.layers.map((l) => [l.name, l.type, l.outputShape, l.params]), [
    ["0", "Flatten", [-1, 784], 0],
    ["1", "Linear", [-1, 256], 784 * 256 + 256],
    ["2", "ReLU", [-1, 256], 0],
    ["3", "Linear", [-1, 10], 2560],
  ]);
  assert.equal(s.totalParams, 784 * 256 + 256 + 2560);
  assert.equal(s.trainableParams, s.totalParams);
  assert.equal(s.paramBytes, 4 * s.totalParams);
  assert.deepEqual(s.outputShape, [-1, 10]);
  assert.match(s.text, /1 \(Linear\)\s+\[-1, 256\]\s+200,960/);
  assert.match(s.text, /Total params: 203,520/);
});

test("summary walks nested modules, counts frozen parameters apart and leaves the model as it was", () => {
  class Net extends nn.Module {
    encoder = new nn.Sequential(new nn.Linear(4, 3), new nn.Tanh());
    head = new nn.Linear(3, 2);
    drop = new nn.Dropout(0.5);
    override forward(x: ax.Tensor): ax.Tensor {
      return this.head.call(this.drop.call(this.encoder.call(x)));
    }
  }
  const net = new Net();
  net.head.requiresGrad_(false);
  const before = net.head.call(ax.ones([1, 3])).toArray();
  const s = ax.summary(net, [4]);
  assert.deepEqual(s.layers.map((l) => l.name), ["encoder.0", "encoder.1", "drop", "head"]);
  assert.equal(s.totalParams, 15 + 8);
  assert.equal(s.trainableParams, 15);
  assert.match(s.text, /Non-trainable params: 8/);
  assert.equal(net.training, true, "training mode restored");
  assert.equal(Object.prototype.hasOwnProperty.call(net.head, "forward"), false, "no wrapper left behind");
  assert.deepEqual(net.head.call(ax.ones([1, 3])).toArray(), before);
  assert.throws(() => ax.summary(net, [0]), /inputShape must be positive integers/);
  assert.throws(() => ax.summary(net, [5]), /5/);
});
