// Node-only: safetensors files on disk. Writes are atomic (a temporary file in the same directory, flushed, then
// renamed over the target), so a crash mid-write never leaves a half-written model where a good one was.

import { promises as fs, openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { parseSafetensors, serializeSafetensors, SafetensorsError, type Safetensors, type TensorDict } from "./safetensors.js";
import { parseModel, serializeModel, type InputInfo, type SavedModel } from "./model.js";
import type { ModelSpec } from "../models/zoo.js";

/** Writes `bytes` to `file` atomically. */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, "wx", 0o644);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* the temporary file may not exist */ }
    throw new Error(`save: could not write ${file}: ${(e as Error).message}`);
  }
}

/** Saves named tensors (a state dict) as a safetensors file, atomically. */
export function save(tensors: TensorDict, file: string, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}

/** Loads and validates a safetensors file; errors name the file. */
export function load(file: string): Safetensors {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`load: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return parseSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new SafetensorsError(`${file}: ${e.message}`);
    throw e;
  }
}

export async function loadAsync(file: string): Promise<Safetensors> {
  const bytes = await fs.readFile(file);
  try {
    return parseSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new SafetensorsError(`${file}: ${e.message}`);
    throw e;
  }
}

/** Saves a model with its architecture and input description, atomically. */
export function saveModel(file: string, model: Parameters<typeof serializeModel>[0], spec: ModelSpec, input: InputInfo, metrics: Record<string, number> = {}, extra: Record<string, string> = {}): void {
  writeFileAtomic(file, serializeModel(model, spec, input, metrics, extra));
}

/** Loads a model saved by saveModel (or `axon train`) and rebuilds it; errors name the file. */
export function loadModel(file: string): SavedModel {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read model file ${file}: ${(e as Error).message}`);
  }
  try {
    return parseModel(bytes);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}
