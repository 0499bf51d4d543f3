// The PNG encoder, checked by decoding its output with node:zlib (an independent inflater) and reading the pixels.

import { test } from "node:test";
import assert from "node:assert/strict";
import { inflateSync, crc32 as zlibCrc32 } from "node:zlib";
import { adler32, crc32, createImage, encodePng, zlibStored, type Image } from "../src/io/png.js";

interface Decoded { width: number; height: number; bitDepth: number; colorType: number; chunks: string[]; pixels: Uint8Array }

/** A minimal PNG reader: checks the signature and every chunk's CRC, inflates IDAT, strips filter-0 bytes. */
function decode(png: Uint8Array): Decoded {
  const buf = Buffer.from(png);
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  let o = 8;
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let width = 0, height = 0, bitDepth = 0, colorType = 0;
  while (o < buf.length) {
    const len = buf.readUInt32BE(o);
    const type = buf.toString("latin1", o + 4, o + 8);
    const data = buf.subarray(o + 8, o + 8 + len);
    assert.equal(buf.readUInt32BE(o + 8 + len), zlibCrc32(buf.subarray(o + 4, o + 8 + len)), `CRC of ${type}`);
    chunks.push(type);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8];
      colorType = data[9];
    }
    if (type === "IDAT") idat.push(data);
    o += 12 + len;
  }
  const channels = colorType === 2 ? 3 : 1;
  const raw = inflateSync(Buffer.concat(idat)); // also checks the zlib header and the Adler-32
  const stride = width * channels;
  assert.equal(raw.length, height * (stride + 1));
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (stride + 1)], 0, "filter type 0 (none)");
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, bitDepth, colorType, chunks, pixels };
}

test("an RGB image round-trips through encodePng and zlib's inflate", () => {
  const img = createImage(7, 5, 3, [10, 20, 30]);
  img.data.set([255, 0, 0], (2 * 7 + 3) * 3); // a red pixel at x 3, y 2
  const d = decode(encodePng(img));
  assert.deepEqual([d.width, d.height, d.bitDepth, d.colorType], [7, 5, 8, 2]);
  assert.deepEqual(d.chunks, ["IHDR", "IDAT", "IEND"]);
  assert.deepEqual(d.pixels, img.data);
  assert.deepEqual([...d.pixels.subarray((2 * 7 + 3) * 3, (2 * 7 + 4) * 3)], [255, 0, 0]);
  assert.deepEqual([...d.pixels.subarray(0, 3)], [10, 20, 30]);
});

test("a grayscale image larger than one stored block (65,535 bytes) round-trips", () => {
  const width = 300, height = 260; // 78,260 raw bytes: two stored blocks
  const img: Image = { width, height, channels: 1, data: Uint8Array.from({ length: width * height }, (_, i) => (i * 7 + (i >> 9)) & 0xff) };
  const d = decode(encodePng(img));
  assert.equal(d.colorType, 0);
  assert.deepEqual(d.pixels, img.data);
});

test("checksums agree with zlib's, and a stored stream inflates back", () => {
  const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff);
  assert.equal(crc32(bytes), zlibCrc32(Buffer.from(bytes)));
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(adler32(new TextEncoder().encode("Wikipedia")), 0x11e60398);
  assert.deepEqual(new Uint8Array(inflateSync(zlibStored(bytes))), bytes);
  assert.deepEqual(new Uint8Array(inflateSync(zlibStored(new Uint8Array(0)))), new Uint8Array(0));
});

test("encodePng refuses images whose data do not match their size", () => {
  assert.throws(() => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) }), /needs 12 bytes, got 11/);
  assert.throws(() => createImage(0, 3), /positive integers/);
});
