// IDX: round trips through encodeIdx/parseIdx for every element type, the byte layout against a hand-written file,
// gzip through readIdx (node:zlib), and malformed files: bad magic, unknown type, truncated header and data,
// extra bytes, gzip passed to the core parser.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import * as ax from "../src/index.js";
import { encodeIdx, parseIdx, parseIdxHeader, type IdxType } from "../src/data/index.js";
import { readIdx } from "../src/node.js";

describe("IDX round trip", () => {
  const cases: [IdxType, number[], ax.DType][] = [
    ["ubyte", [0, 1, 127, 128, 255, 3], "int32"],
    ["sbyte", [-128, -1, 0, 1, 127, 5], "int32"],
    ["short", [-32768, -2, 0, 300, 32767, 7], "int32"],
    ["int", [-2147483648, -70000, 0, 70000, 2147483647, 9], "int32"],
    ["float", [-1.5, 0, 0.1, 3.25e10, -Infinity, 1e-30], "float32"],
    ["double", [-1.5, 0, 0.1, 1e300, Math.PI, -5e-310], "float64"],
  ];
  for (const [type, values, dtype] of cases) {
    test(`${type} -> ${dtype}, shape [2,3]`, () => {
      const t = ax.tensor(values, { dtype: type === "double" ? "float64" : type === "float" ? "float32" : "int32" }).reshape([2, 3]);
      const back = parseIdx(encodeIdx(t, type));
      assert.equal(back.dtype, dtype);
      assert.deepEqual(back.shape, [2, 3]);
      assert.deepEqual(back.toArray(), t.toArray());
    });
  }

  test("the default type follows the dtype, and bool goes as ubyte", () => {
    assert.equal(parseIdxHeader(encodeIdx(ax.zeros([2], { dtype: "int32" }))).type, "int");
    assert.equal(parseIdxHeader(encodeIdx(ax.zeros([2]))).type, "float");
    assert.equal(parseIdxHeader(encodeIdx(ax.zeros([2], { dtype: "float64" }))).type, "double");
    const b = ax.tensor([true, false, true]);
    assert.equal(parseIdxHeader(encodeIdx(b)).type, "ubyte");
    assert.deepEqual(parseIdx(encodeIdx(b), { dtype: "bool" }).toArray(), [true, false, true]);
  });

  test("a non-contiguous tensor is written in row-major order; 1-D and 4-D shapes survive", () => {
    const t = ax.arange(6).reshape([2, 3]).t();
    assert.deepEqual(parseIdx(encodeIdx(t)).toArray(), t.toArray());
    const four = ax.arange(24).reshape([1, 2, 3, 4]);
    assert.deepEqual(parseIdx(encodeIdx(four, "ubyte")).shape, [1, 2, 3, 4]);
    assert.deepEqual(parseIdx(encodeIdx(ax.arange(0), "ubyte")).shape, [0]);
  });

  test("the bytes are IDX's big-endian layout", () => {
    const bytes = encodeIdx(ax.tensor([[1, 258]], { dtype: "int32" }), "short");
    assert.deepEqual(Array.from(bytes), [0, 0, 0x0b, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 1, 2]);
    // A hand-written MNIST-style label file: 3 ubyte labels.
    const labels = parseIdx(Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1));
    assert.deepEqual(labels.toArray(), [7, 2, 1]);
    assert.equal(labels.dtype, "int32");
  });

  test("dtype and scale decode ubyte pixels straight into [0, 1] floats, equal to x / 255", () => {
    const all = ax.arange(256).reshape([1, 16, 16]);
    const px = parseIdx(encodeIdx(all, "ubyte"), { dtype: "float32", scale: 1 / 255 });
    assert.equal(px.dtype, "float32");
    const data = px.toTypedArray();
    for (let v = 0; v < 256; v++) assert.equal(data[v], Math.fround(v / 255), `byte ${v}`);
    assert.throws(() => parseIdx(encodeIdx(all, "ubyte"), { scale: 0.5 }), /needs a floating-point dtype, got int32/);
  });

  test("encodeIdx refuses values the type cannot hold", () => {
    assert.throws(() => encodeIdx(ax.tensor([1, 256], { dtype: "int32" }), "ubyte"), /element 1 is 256, which ubyte \(integers 0..255\) cannot hold/);
    assert.throws(() => encodeIdx(ax.tensor([0.5]), "int"), /element 0 is 0.5/);
    assert.throws(() => encodeIdx(ax.tensor([-129], { dtype: "int32" }), "sbyte"), /sbyte/);
    assert.throws(() => encodeIdx(ax.zeros([1]), "half" as IdxType), /unknown IDX type "half"/);
  });
});

describe("malformed IDX", () => {
  const good = (): Uint8Array => encodeIdx(ax.arange(12).reshape([3, 4]), "ubyte");

  test("bad magic", () => {
    const b = good(); b[0] = 0x12;
    assert.throws(() => parseIdx(b), /bad magic number: an IDX file starts with 0x00 0x00, found 0x12 0x00/);
    assert.throws(() => parseIdx(new TextEncoder().encode("hello, world")), /bad magic/);
  });

  test("unknown element type", () => {
    const b = good(); b[2] = 0x0a;
    assert.throws(() => parseIdx(b), /unknown element type 0x0a.*0x08 ubyte/);
  });

  test("truncated header", () => {
    assert.throws(() => parseIdx(Uint8Array.of(0, 0)), /truncated header: .* found only 2 bytes/);
    assert.throws(() => parseIdx(good().subarray(0, 9)), /truncated header: 2 dimensions need 12 header bytes, found 9/);
  });

  test("truncated data says how many bytes were expected and found", () => {
    assert.throws(() => parseIdx(good().subarray(0, 20)), /truncated data: shape \[3,4\] of ubyte .* needs 12 bytes after the 12-byte header, found 8/);
    const ints = encodeIdx(ax.arange(6), "int");
    assert.throws(() => parseIdx(ints.subarray(0, ints.length - 1)), /needs 24 bytes after the 8-byte header, found 23/);
  });

  test("sizes that do not match the data", () => {
    const b = good();
    b[11] = 3; // header now says [3, 3]: 9 bytes of data, but 12 follow
    assert.throws(() => parseIdx(b), /wrong sizes: shape \[3,3\] of ubyte needs 9 bytes .* but 12 follow \(3 extra\)/);
    const huge = good(); huge[4] = 0xff; // [4278190083, 4]
    assert.throws(() => parseIdx(huge), /truncated data: shape \[4278190083,4\]/);
  });

  test("gzip bytes given to the core parser get a hint", () => {
    assert.throws(() => parseIdx(gzipSync(good())), /gzip-compressed .* decompress them first/);
  });
});

describe("readIdx (Node)", () => {
  let dir = "";
  before(() => { dir = mkdtempSync(path.join(tmpdir(), "axon-idx-")); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("reads plain and gzipped files alike, recognising gzip by its magic, not its name", () => {
    const t = ax.arange(20).reshape([4, 5]);
    const bytes = encodeIdx(t, "ubyte");
    writeFileSync(path.join(dir, "plain-idx2-ubyte"), bytes);
    writeFileSync(path.join(dir, "zipped-idx2-ubyte.gz"), gzipSync(bytes));
    writeFileSync(path.join(dir, "zipped-no-suffix"), gzipSync(bytes));
    for (const f of ["plain-idx2-ubyte", "zipped-idx2-ubyte.gz", "zipped-no-suffix"]) {
      assert.deepEqual(readIdx(path.join(dir, f)).toArray(), t.toArray(), f);
    }
    assert.equal(readIdx(path.join(dir, "plain-idx2-ubyte"), { dtype: "float32", scale: 1 / 255 }).dtype, "float32");
  });

  test("errors name the file", () => {
    const missing = path.join(dir, "nope");
    assert.throws(() => readIdx(missing), (e: Error) => e.message.startsWith(`readIdx: cannot read ${missing}`));
    const bad = path.join(dir, "bad.gz");
    writeFileSync(bad, gzipSync(Uint8Array.of(1, 2, 3, 4, 5)));
    assert.throws(() => readIdx(bad), (e: Error) => /^readIdx: bad magic number/.test(e.message) && e.message.includes(bad));
    const broken = path.join(dir, "broken.gz");
    writeFileSync(broken, gzipSync(encodeIdx(ax.arange(100), "ubyte")).subarray(0, 30));
    assert.throws(() => readIdx(broken), (e: Error) => e.message.includes(`${broken} starts like a gzip file but does not decompress`));
  });
});
