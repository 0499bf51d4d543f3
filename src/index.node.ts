// Axon's entry point under Node (package.json's "node" export condition): the whole public API of ./index.js,
// plus the native backend, which is registered here because loading an N-API addon needs Node. Browsers and
// bundlers get ./index.js, which imports nothing Node-only.
//
// AXON_BACKEND picks the backend at load time: "native" (the default when the addon loads), "reference", or
// unset. An unknown value is an error, not a silent fallback.

import { Buffer } from "node:buffer";
import { registerBackend, setBackend } from "./backend/registry.js";
import { loadNativeAddon, nativeBackend } from "./backend/native/index.js";
import { setUninitializedAllocator } from "./tensor/dtype.js";

export * from "./index.js";
export { setNumThreads, getNumThreads } from "./backend/native/index.js";

const BACKENDS = ["native", "reference"];

function selectFromEnv(): void {
  const wanted = process.env.AXON_BACKEND?.trim() || undefined;
  if (wanted !== undefined && !BACKENDS.includes(wanted)) {
    throw new Error(`AXON_BACKEND="${wanted}" is not a backend Axon has (use one of: ${BACKENDS.join(", ")}; or unset it)`);
  }
  if (wanted === "reference") return; // do not even load the addon
  const native = nativeBackend();
  if (native) {
    registerBackend(native, 10);
    if (wanted === "native") setBackend("native");
  } else if (wanted === "native") {
    const r = loadNativeAddon();
    // Said once, only to someone who asked for native: everyone else silently gets the reference backend.
    console.warn(`axon: AXON_BACKEND=native, but ${"error" in r ? r.error : "the addon did not load"}; using the reference backend`);
  }
}

selectFromEnv();

// Outputs that kernels write in full skip the zero fill: Buffer.allocUnsafeSlow mallocs without clearing. Between
// 4 and 16 KiB a zeroed ArrayBuffer costs the same (measured under Node 20). Below 4 KiB, Buffer.allocUnsafe
// slices Node's shared 8 KiB pool (8-byte aligned): ~0.1 us where a fresh ArrayBuffer of 1 KiB costs ~0.8 us,
// which was most of a small op's cost (batch-1 inference, bias gradients). The price is Node's own for small
// Buffers: a small tensor that is kept alive keeps its 8 KiB pool chunk alive.
const POOLED_MAX_BYTES = Buffer.poolSize >>> 1;
const UNINITIALIZED_MIN_BYTES = 16384;
setUninitializedAllocator((bytes) => {
  if (bytes < POOLED_MAX_BYTES) {
    const b = Buffer.allocUnsafe(bytes);
    if ((b.byteOffset & 7) === 0) return b;
  }
  return bytes < UNINITIALIZED_MIN_BYTES ? new Uint8Array(bytes) : Buffer.allocUnsafeSlow(bytes);
});
