// Axon's Node-only entry point (axon-dl/node): helpers that need node:fs, node:zlib or node_modules. The core
// (src/index.ts) never imports this file, so it stays browser-safe.

export { readIdx } from "./data/node/idx.js";
export { readCsv } from "./data/node/csv.js";
export { mnist } from "./data/node/mnist.js";
export { fashionMnist, FASHION_MNIST_DIR, type IdxSplits } from "./data/node/fashion_mnist.js";
export { save, load, loadAsync, saveModel, loadModel, writeFileAtomic } from "./io/file.js";
