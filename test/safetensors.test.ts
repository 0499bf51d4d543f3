import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ax from "../src/index.js";
import { parseSafetensors, serializeSafetensors } from "../src/io/safetensors.js";
import { load, save } from "../src/io/file.js";

const fixtures = new URL("./fixtures/", import.meta.url);

test("reads a file PyTorch tensors were written to, in every dtype it carries", () => {
  const { tensors, metadata } = load(new URL("torch_weights.safetensors", fixtures).pathname);
  const expected = JSON.parse(readFileSync(new URL("torch_weights.json", fixtures), "utf8")) as Record<string, { shape: number[]; values: number[] }>;
  assert.equal(metadata.format, "pt");
  assert.deepEqual([...tensors.keys()].sort(), Object.keys(expected).sort());
  for (const [name, { shape, values }] of Object.entries(expected)) {
    const t = tensors.get(name)!;
    assert.deepEqual(t.shape, shape, name);
    const got = Array.from(t.toTypedArray());
    values.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 1e-6 * Math.max(1, Math.abs(v)), `${name}[${i}]: ${got[i]} vs ${v}`));
  }
  assert.equal(tensors.get("fc.bias")!.dtype, "float64");
  assert.equal(tensors.get("labels")!.dtype, "int32");
  assert.equal(tensors.get("mask")!.dtype, "bool");
});

test("round-trips float32, float64, int32 and bool tensors, views and metadata", () => {
  ax.manualSeed(1);
  const w = ax.randn([4, 3]);
  const dict = {
    "0.weight": w.t(), // a non-contiguous view is written in row-major order
    "0.bias": ax.randn([3], { dtype: "float64" }),
    labels: ax.tensor([1, 2, -3], { dtype: "int32" }),
    mask: ax.tensor([true, false]),
    empty: ax.zeros([0, 5]),
  };
  const bytes = serializeSafetensors(dict, { arch: '{"kind":"mlp"}' });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0, "data starts 8-byte aligned");
  const { tensors, metadata } = parseSafetensors(bytes);
  assert.equal(metadata.arch, '{"kind":"mlp"}');
  assert.deepEqual([...tensors.keys()], Object.keys(dict));
  for (const [name, t] of Object.entries(dict)) {
    assert.deepEqual(tensors.get(name)!.toArray(), t.toArray(), name);
    assert.equal(tensors.get(name)!.dtype, t.dtype, name);
  }
});

test("refuses truncated, corrupt and inconsistent files with errors that say what is wrong", () => {
  const good = serializeSafetensors({ a: ax.ones([2, 2]), b: ax.zeros([3]) });
  assert.throws(() => parseSafetensors(good.subarray(0, 5)), /too short/);
  assert.throws(() => parseSafetensors(good.subarray(0, good.length - 4)), /truncated|cover/);
  const bad = good.slice();
  bad[8] = 0x21; // break the JSON
  assert.throws(() => parseSafetensors(bad), /not valid UTF-8 JSON/);
  const huge = good.slice();
  new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
  assert.throws(() => parseSafetensors(huge), /header length/);
  const extra = new Uint8Array(good.length + 4);
  extra.set(good);
  assert.throws(() => parseSafetensors(extra), /trailing/);
  const mk = (header: object, dataBytes: number) => {
    const h = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + h.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    return out;
  };
  assert.throws(() => parseSafetensors(mk({ x: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8)), /needs 12 bytes/);
  assert.throws(() => parseSafetensors(mk({ x: { dtype: "C64", shape: [1], data_offsets: [0, 8] } }, 8)), /unsupported dtype/);
  assert.throws(() => parseSafetensors(mk({ x: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, y: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, 4)), /overlapping/);
  assert.throws(() => parseSafetensors(mk({ x: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, 4)), /invalid shape/);
});

test("save writes atomically and load names the file in its errors", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "axon-st-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "model.safetensors");
  save({ w: ax.ones([2]) }, file);
  save({ w: ax.full([2], 7) }, file); // overwriting replaces the whole file at once
  assert.deepEqual(load(file).tensors.get("w")!.toArray(), [7, 7]);
  assert.deepEqual(readdirSync(dir), ["model.safetensors"], "no temporary files are left behind");
  assert.throws(() => save({ w: ax.ones([2]) }, join(dir, "missing-dir", "m.safetensors")), /could not write .*missing-dir/);
  assert.deepEqual(load(file).tensors.get("w")!.toArray(), [7, 7], "a failed save leaves the old file intact");
  writeFileSync(join(dir, "broken.safetensors"), new Uint8Array([1, 2, 3]));
  assert.throws(() => load(join(dir, "broken.safetensors")), /broken\.safetensors: safetensors: file is 3 bytes/);
  assert.throws(() => load(join(dir, "nope.safetensors")), /cannot read .*nope\.safetensors/);
});
