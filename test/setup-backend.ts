// Loaded with `node --import` by both halves of `npm test` (AXON_BACKEND=reference, then native): importing the
// Node entry registers the native backend and applies AXON_BACKEND before any test file runs. The tests themselves
// import ../src/index.js, which resolves to the same module instances, so they run on whichever backend this selected.
//
// It also poisons uninitialized storage: every array allocateUninitialized hands out (empty(), kernel outputs) is
// filled with 0xff bytes (NaN as a float, -1 as an int32), so an op that reads an output it did not write, or
// relies on it being zero, fails its tests instead of passing by luck.
import { getBackend } from "../src/index.node.js";
import { setUninitializedAllocator } from "../src/tensor/dtype.js";

if (process.env.AXON_BACKEND && getBackend().name !== process.env.AXON_BACKEND) {
  throw new Error(`setup-backend: AXON_BACKEND=${process.env.AXON_BACKEND} but the active backend is ${getBackend().name}`);
}

// The storage is a slice 8 bytes into a larger buffer, as the Node entry's pooled small arrays are: code that
// assumed a tensor's array starts at byte 0 of its ArrayBuffer fails here too.
setUninitializedAllocator((bytes) => new Uint8Array(bytes + 8).fill(0xff).subarray(8));
