// `axon viz` on small saved models: it writes valid PNG files with the pictures it promises.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as ax from "../src/index.js";
import { saveModel, mnist } from "../src/node.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = mkdtempSync(path.join(tmpdir(), "axon-viz-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

function axon(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), path.join(root, "src/cli/main.ts"), ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Width, height and RGB pixels of a PNG written by src/io/png.ts (8-bit RGB, filter 0), read with node:zlib. */
function readPng(file: string): { width: number; height: number; rgb: Uint8Array } {
  const buf = readFileSync(file);
  assert.equal(buf.toString("latin1", 1, 4), "PNG");
  const width = buf.readUInt32BE(16), height = buf.readUInt32BE(20);
  assert.equal(buf[25], 2, "RGB");
  const idat: Buffer[] = [];
  for (let o = 8; o < buf.length;) {
    const len = buf.readUInt32BE(o);
    if (buf.toString("latin1", o + 4, o + 8) === "IDAT") idat.push(buf.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) rgb.set(raw.subarray(y * (width * 3 + 1) + 1, (y + 1) * (width * 3 + 1)), y * width * 3);
  return { width, height, rgb };
}

const countColor = (rgb: Uint8Array, c: readonly number[]) => {
  let n = 0;
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] === c[0] && rgb[i + 1] === c[1] && rgb[i + 2] === c[2]) n++;
  return n;
};

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

test("axon viz draws a cnn's filters, confusion matrix, mistakes and training curves", () => {
  ax.manualSeed(0);
  const spec: ax.CnnSpec = { kind: "cnn", arch: "lenet", inputShape: [1, 28, 28], outputs: 10, dropout: 0 };
  const net = ax.cnn(spec);
  // A few steps on 64 digits: enough to be better than chance and still make mistakes.
  const [x, y] = mnist().train.tensors;
  const opt = new ax.optim.Adam(net.parameters(), { lr: 3e-3 });
  for (let step = 0; step < 4; step++) {
    opt.zeroGrad();
    ax.nn.functional.crossEntropy(net.forward(x.narrow(0, 16 * step, 16)), y.narrow(0, 16 * step, 16)).backward();
    opt.step();
  }
  const history = [{ epoch: 1, loss: 2.1, accuracy: 0.3, valLoss: 1.5, valAccuracy: 0.5 }, { epoch: 2, loss: 1.2, accuracy: 0.6, valLoss: 1.0, valAccuracy: 0.7 }];
  const model = path.join(dir, "lenet.safetensors");
  saveModel(model, net, spec, { dataset: "mnist", classes: DIGITS, normalize: { mean: 0.13, std: 0.31 } }, {}, { "axon.history": JSON.stringify(history) });

  const r = axon("viz", model, "--limit", "200");
  assert.equal(r.code, 0, r.err);
  const out = path.join(dir, "lenet-viz");
  assert.match(r.out, /mnist test split, 200 samples, accuracy \d+\.\d\d%/);
  for (const f of ["filters.png", "confusion.png", "mistakes.png", "curves.png"]) assert.ok(existsSync(path.join(out, f)), f);

  // LeNet's first layer has 6 filters of 5x5: a 3x2 grid of tiles, 11 pixels a cell, in red and blue.
  const filters = readPng(path.join(out, "filters.png"));
  assert.equal(filters.height, 14 + 4 + 2 * (5 * 11 + 4));
  const reds = Array.from({ length: filters.rgb.length / 3 }, (_, i) => filters.rgb[3 * i] > filters.rgb[3 * i + 2] + 40).filter(Boolean).length;
  const blues = Array.from({ length: filters.rgb.length / 3 }, (_, i) => filters.rgb[3 * i + 2] > filters.rgb[3 * i] + 40).filter(Boolean).length;
  assert.ok(reds > 500 && blues > 500, `positive (red) and negative (blue) weights both show: ${reds}, ${blues}`);

  // Confusion matrix: 10x10 cells, some of them shaded blue; curves: the train (blue) and test (orange) series.
  const conf = readPng(path.join(out, "confusion.png"));
  assert.ok(conf.width > 10 * 28 && conf.height > 10 * 28);
  assert.ok(countColor(conf.rgb, [8, 48, 107]) + countColor(conf.rgb, [247, 251, 255]) < conf.width * conf.height, "cells are colored");
  const curves = readPng(path.join(out, "curves.png"));
  assert.ok(countColor(curves.rgb, [31, 119, 180]) > 50 && countColor(curves.rgb, [255, 127, 14]) > 50, "train and test lines");
  // Mistakes: labelled in red (predicted) and green (true).
  const mistakes = readPng(path.join(out, "mistakes.png"));
  assert.ok(countColor(mistakes.rgb, [214, 39, 40]) > 0 && countColor(mistakes.rgb, [44, 160, 44]) > 0);
});

test("axon viz shows an MLP's first-layer weight rows as 28x28 images and skips curves it has no history for", () => {
  ax.manualSeed(1);
  const spec: ax.MlpSpec = { kind: "mlp", inputShape: [1, 28, 28], hidden: [4], outputs: 10, activation: "relu", dropout: 0 };
  const model = path.join(dir, "mlp.safetensors");
  saveModel(model, ax.mlp(spec), spec, { dataset: "mnist", classes: DIGITS }, {});
  const out = path.join(dir, "mlp-pictures");
  const r = axon("viz", model, "--out", out, "--limit", "50", "--mistakes", "4");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /curves\.png: skipped \(no training history/);
  assert.ok(!existsSync(path.join(out, "curves.png")));
  // 4 rows of 784 weights, each a 28x28 tile drawn at twice the size plus a 4-pixel gap, 2 by 2.
  const filters = readPng(path.join(out, "filters.png"));
  assert.equal(filters.height, 14 + 4 + 2 * 60);
  const e = axon("viz");
  assert.equal(e.code, 2);
  assert.match(e.err, /axon viz needs a model file/);
});
