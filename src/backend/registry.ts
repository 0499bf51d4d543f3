// Which backend runs the kernels. Backends register themselves with a priority; the highest available one is
// used unless the user picks one with setBackend() (or AXON_BACKEND in Node, read at the edge in src/index.node.ts,
// which also registers the native backend).

import type { Backend } from "./backend.js";
import { referenceBackend } from "./reference/index.js";

const registered = new Map<string, { backend: Backend; priority: number }>();
let current: Backend = referenceBackend;

export function registerBackend(backend: Backend, priority: number): void {
  registered.set(backend.name, { backend, priority });
  const best = [...registered.values()].sort((a, b) => b.priority - a.priority)[0];
  if (!explicitChoice) current = best.backend;
}

let explicitChoice = false;

export function setBackend(name: string): void {
  const entry = registered.get(name);
  if (!entry) throw new Error(`setBackend: no backend named "${name}" (available: ${listBackends().join(", ")})`);
  current = entry.backend;
  explicitChoice = true;
}

export function getBackend(): Backend {
  return current;
}

export function listBackends(): string[] {
  return [...registered.keys()];
}

registerBackend(referenceBackend, 0);
