// Node-only: IDX files on disk. Gzipped files (MNIST and Fashion-MNIST ship as .gz) are recognised by their first
// two bytes (0x1f 0x8b), not by their name, and decompressed with node:zlib before the core parser sees them.

import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { parseIdx, PARSE_IDX_OPTION_KEYS, type ParseIdxOptions } from "../idx.js";
import { checkOptionKeys } from "../../util/options.js";
import type { Tensor } from "../../tensor/tensor.js";

/** Reads a file's bytes, gunzipping them when they start with the gzip magic. Errors name the file. */
export function readMaybeGzip(op: string, file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`${op}: cannot read ${file}: ${(e as Error).message}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${op}: ${file} starts like a gzip file but does not decompress: ${(e as Error).message}`);
    }
  }
  return bytes;
}

/** Reads an IDX file (plain or gzipped) into a Tensor; see parseIdx for the dtypes and options. */
export function readIdx(file: string, opts: ParseIdxOptions = {}): Tensor {
  checkOptionKeys("readIdx", opts, PARSE_IDX_OPTION_KEYS);
  const bytes = readMaybeGzip("readIdx", file);
  try {
    return parseIdx(bytes, opts);
  } catch (e) {
    const err = e as Error;
    err.message = `${err.message.replace(/^parseIdx: /, "readIdx: ")} (file ${file})`;
    throw err;
  }
}
