// A small PNG encoder (8-bit grayscale or RGB), in plain TypeScript so it runs in browsers too: no node:zlib.
//
// A PNG is a signature and chunks (length, type, data, CRC-32 of type and data): IHDR (size and pixel format), IDAT
// (the image as a zlib stream) and IEND. Each image row is prefixed by a filter byte; we use filter 0 (none). The
// zlib stream (RFC 1950) is a 2-byte header, DEFLATE data (RFC 1951) and the Adler-32 of the raw bytes. We write
// DEFLATE's "stored" blocks (uncompressed, at most 65,535 bytes each): larger files than a real compressor makes,
// but a few lines that are easy to check, and our images (filters, charts) are small.

export interface Image {
  width: number;
  height: number;
  /** 1: grayscale, 3: RGB. */
  channels: 1 | 3;
  /** Row-major pixels, `channels` bytes each. */
  data: Uint8Array;
}

/** A blank image filled with one color (a gray level, or [r, g, b]). */
export function createImage(width: number, height: number, channels: 1 | 3 = 3, fill: number | readonly number[] = 255): Image {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`createImage: width and height must be positive integers, got ${width}x${height}`);
  const data = new Uint8Array(width * height * channels);
  const color = typeof fill === "number" ? new Array<number>(channels).fill(fill) : fill;
  for (let i = 0; i < width * height; i++) for (let c = 0; c < channels; c++) data[i * channels + c] = color[c];
  return { width, height, channels, data };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, the one PNG and gzip use) of `bytes`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Adler-32 (zlib's checksum) of `bytes`. */
export function adler32(bytes: Uint8Array): number {
  let a = 1, b = 0;
  // 5552 bytes is the most that can be summed before b could overflow 2^32 (zlib's NMAX).
  for (let i = 0; i < bytes.length; i += 5552) {
    const end = Math.min(i + 5552, bytes.length);
    for (let j = i; j < end; j++) { a += bytes[j]; b += a; }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** `raw` as a zlib stream of stored (uncompressed) DEFLATE blocks. */
export function zlibStored(raw: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const out = new Uint8Array(2 + blocks * 5 + raw.length + 4);
  // CMF 0x78: deflate with a 32 KiB window; FLG 0x01 makes (CMF * 256 + FLG) a multiple of 31, no dictionary.
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * 65535, len = Math.min(65535, raw.length - start);
    out[o++] = b === blocks - 1 ? 1 : 0; // BFINAL on the last block, BTYPE 00 (stored)
    out[o++] = len & 0xff;
    out[o++] = len >>> 8;
    out[o++] = ~len & 0xff;
    out[o++] = (~len >>> 8) & 0xff;
    out.set(raw.subarray(start, start + len), o);
    o += len;
  }
  new DataView(out.buffer).setUint32(o, adler32(raw));
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encodes an image as PNG bytes. */
export function encodePng(image: Image): Uint8Array {
  const { width, height, channels, data } = image;
  if (channels !== 1 && channels !== 3) throw new RangeError(`encodePng: channels must be 1 (grayscale) or 3 (RGB), got ${String(channels)}`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`encodePng: width and height must be positive integers, got ${width}x${height}`);
  if (data.length !== width * height * channels) throw new RangeError(`encodePng: a ${width}x${height} image with ${channels} channel(s) needs ${width * height * channels} bytes, got ${data.length}`);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 2; // color type: grayscale or truecolor
  // compression 0 (deflate), filter method 0, no interlace: bytes 10-12 stay 0
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1); // filter byte 0
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", zlibStored(raw)), chunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
