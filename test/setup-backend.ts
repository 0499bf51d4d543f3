// Loaded with `node --import` by `npm run test:native` (and usable with any AXON_BACKEND): importing the Node entry
// registers the native backend and applies AXON_BACKEND before any test file runs. The tests themselves import
// ../src/index.js, which resolves to the same module instances, so they run on whichever backend this selected.
import { getBackend } from "../src/index.node.js";

if (process.env.AXON_BACKEND && getBackend().name !== process.env.AXON_BACKEND) {
  throw new Error(`setup-backend: AXON_BACKEND=${process.env.AXON_BACKEND} but the active backend is ${getBackend().name}`);
}
