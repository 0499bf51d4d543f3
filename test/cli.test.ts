// The `axon` command end to end, run as a user runs it: a child process, its output and its exit code.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = mkdtempSync(path.join(tmpdir(), "axon-cli-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

function axon(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), path.join(root, "src/cli/main.ts"), ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test("axon --help documents every command", () => {
  const r = axon("--help");
  assert.equal(r.code, 0);
  for (const cmd of ["train", "eval", "predict", "summary", "viz", "demo perceptron", "demo xor"]) assert.match(r.out, new RegExp(`axon ${cmd}`));
  const t = axon("train", "--help");
  for (const opt of ["--model", "--dataset", "--data-dir", "--epochs", "--batch-size", "--optimizer", "--lr", "--seed", "--out"]) assert.match(t.out, new RegExp(opt));
});

test("axon demo perceptron learns AND and OR, fails on XOR and says why", () => {
  const r = axon("demo", "perceptron");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /AND: learned in \d+ epochs/);
  assert.match(r.out, /OR: learned in \d+ epochs/);
  assert.match(r.out, /XOR: NOT learned/);
  assert.match(r.out, /No line separates XOR/);
});

test("axon demo xor: an MLP solves XOR", () => {
  const r = axon("demo", "xor");
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /Solved/);
  assert.match(r.out, /1 XOR 1 -> 0\.\d+ -> 0/);
});

test("axon train, then summary, eval and predict on the saved model", () => {
  const model = path.join(dir, "digits.safetensors");
  const t = axon("train", "--epochs", "1", "--hidden", "64", "--plain", "--out", model);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /8,000 train \/ 2,000 test/);
  assert.match(t.out, /Epoch 1\/1 .*loss \d\.\d{4} .*samples\/s/);
  const acc = Number(/Test accuracy: ([\d.]+)%/.exec(t.out)![1]);
  assert.ok(acc > 85, `one epoch of a 784-64-10 MLP should pass 85%, got ${acc}%`);
  assert.ok(existsSync(model));
  // The file is plain safetensors with the architecture in its metadata.
  const bytes = readFileSync(model);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8"));
  assert.deepEqual(header["1.weight"].shape, [64, 784]);
  assert.match(header.__metadata__["axon.architecture"], /"kind":"mlp"/);

  const s = axon("summary", model);
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /1 \(Linear\)\s+\[-1, 64\]\s+50,240/);
  assert.match(s.out, /Total params: 50,890/);

  const e = axon("eval", model);
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, new RegExp(`Accuracy: ${acc.toFixed(2)}% \\(\\d+/2000\\)`), "eval reproduces the accuracy measured by train");
  assert.match(e.out, /Confusion matrix/);

  const p = axon("predict", model, "mnist:0-2", "--json");
  assert.equal(p.code, 0, p.err);
  const preds = JSON.parse(p.out) as { sample: string; truth: string; top: { probability: number }[] }[];
  assert.deepEqual(preds.map((r) => r.sample), ["mnist:0", "mnist:1", "mnist:2"]);
  for (const r of preds) assert.ok(r.top[0].probability >= r.top[1].probability);

  // A JSON row of 784 numbers works too.
  const row = path.join(dir, "row.json");
  writeFileSync(row, JSON.stringify(new Array(784).fill(0)));
  const q = axon("predict", model, row);
  assert.equal(q.code, 0, q.err);
  assert.match(q.out, /row\.json#1: \d/);
});

test("axon train --model cnn: a LeNet trains, and summary, eval, predict and viz rebuild it from the file", () => {
  const model = path.join(dir, "lenet.safetensors");
  const t = axon("train", "--model", "cnn", "--arch", "lenet", "--epochs", "1", "--plain", "--out", model);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /Model: cnn lenet 1x28x28 .*61,706 parameters/);
  const acc = Number(/Test accuracy: ([\d.]+)%/.exec(t.out)![1]);
  assert.ok(acc > 88, `one epoch of LeNet on the digits should pass 88%, got ${acc}%`);
  const bytes = readFileSync(model);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8"));
  assert.deepEqual(header["0.weight"].shape, [6, 1, 5, 5]);
  assert.match(header.__metadata__["axon.architecture"], /"kind":"cnn","arch":"lenet"/);
  const history = JSON.parse(header.__metadata__["axon.history"]) as { epoch: number; loss: number; valAccuracy: number }[];
  assert.equal(history.length, 1);
  assert.equal(history[0].valAccuracy.toFixed(4), (acc / 100).toFixed(4));

  const s = axon("summary", model);
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /0 \(Conv2d\)\s+\[-1, 6, 28, 28\]\s+156/);
  assert.match(s.out, /5 \(MaxPool2d\)\s+\[-1, 16, 5, 5\]/);
  const e = axon("eval", model);
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, new RegExp(`Accuracy: ${acc.toFixed(2)}% \\(\\d+/2000\\), loss \\d`), "eval reproduces the accuracy measured by train");
  const p = axon("predict", model, "mnist:0");
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /mnist:0: \d/);
  const v = axon("viz", model, "--limit", "100");
  assert.equal(v.code, 0, v.err);
  for (const f of ["filters", "confusion", "mistakes", "curves"]) assert.match(v.out, new RegExp(`Wrote .*lenet-viz/${f}\\.png`));

  const cases: [string[], RegExp][] = [
    [["train", "--model", "cnn", "--arch", "resnet"], /--arch must be one of lenet, vgg, simple/],
    [["train", "--arch", "vgg"], /--arch chooses a cnn's layers; add --model cnn/],
    [["train", "--model", "cnn", "--hidden", "64"], /--hidden sets up an MLP/],
    [["train", "--model", "cnn", "--arch", "simple", "--dropout", "0.5"], /the simple cnn has no dropout layers/],
  ];
  for (const [args, message] of cases) {
    const r = axon(...args);
    assert.equal(r.code, 2, `axon ${args.join(" ")}: ${r.err}`);
    assert.match(r.err, message);
  }
});

test("axon train --model perceptron trains the multi-class perceptron rule", () => {
  const model = path.join(dir, "perceptron.safetensors");
  const r = axon("train", "--model", "perceptron", "--epochs", "2", "--out", model);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /perceptron 784-10/);
  const acc = Number(/Test accuracy: ([\d.]+)%/.exec(r.out)![1]);
  assert.ok(acc > 80, `a perceptron reaches well over 80% on digits, got ${acc}%`);
  const e = axon("eval", model);
  assert.match(e.out, new RegExp(`Accuracy: ${acc.toFixed(2)}%`));
});

test("axon train on a CSV with a binary label uses one sigmoid output", () => {
  const csv = path.join(dir, "two.csv");
  const rows = ["x1,x2,label"];
  for (let i = 0; i < 200; i++) {
    const a = Math.sin(i * 1.7), b = Math.cos(i * 2.3);
    rows.push(`${a},${b},${a + b > 0 ? "yes" : "no"}`);
  }
  writeFileSync(csv, rows.join("\n"));
  const model = path.join(dir, "two.safetensors");
  const r = axon("train", "--dataset", "csv", "--csv", csv, "--epochs", "30", "--batch-size", "16", "--hidden", "8", "--lr", "0.01", "--plain", "--out", model);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /mlp 2-8-1/);
  assert.ok(Number(/Test accuracy: ([\d.]+)%/.exec(r.out)![1]) >= 90, r.out);
  const p = axon("predict", model, csv, "--json");
  assert.equal(p.code, 0, p.err);
  const preds = JSON.parse(p.out) as { class: string }[];
  assert.equal(preds.length, 200);
  assert.ok(preds.every((x) => x.class === "yes" || x.class === "no"));
});

test("bad input gets a clear error and a non-zero exit code", () => {
  const cases: [string[], RegExp, number][] = [
    [["frobnicate"], /unknown command "frobnicate"/, 2],
    [["train", "--epochs", "zero"], /--epochs must be an integer >= 1, got "zero"/, 2],
    [["train", "--optimizer", "adamax"], /--optimizer must be one of adam, adamw, sgd, rmsprop, adagrad; got "adamax"/, 2],
    [["train", "--bogus"], /axon train: .*bogus/, 2],
    [["train", "--dataset", "fashion-mnist", "--data-dir", dir], /missing in .*train-images-idx3-ubyte/, 1],
    [["eval"], /needs a model file/, 2],
    [["eval", "nope.safetensors"], /cannot read model file nope\.safetensors/, 1],
  ];
  for (const [args, message, code] of cases) {
    const r = axon(...args);
    assert.equal(r.code, code, `axon ${args.join(" ")}: ${r.err}`);
    assert.match(r.err, message);
    assert.doesNotMatch(r.err, /^\s+at /m, "no stack trace for a user error");
  }
  const bad = path.join(dir, "truncated.safetensors");
  const good = readFileSync(path.join(dir, "digits.safetensors"));
  writeFileSync(bad, good.subarray(0, good.length - 100));
  const r = axon("summary", bad);
  assert.equal(r.code, 1);
  assert.match(r.err, /truncated\.safetensors: .*(truncated|bytes|size)/i);
});
