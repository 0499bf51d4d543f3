// The data package: datasets, the DataLoader, IDX and CSV parsers, and built-in datasets. Everything here runs in
// a browser; the file readers and the datasets that live on disk (readIdx, readCsv, mnist, fashionMnist) are in
// axon-dl/node (src/node.ts).

export { type Dataset, type BatchedDataset, TensorDataset, Subset, randomSplit } from "./dataset.js";
export { DataLoader, defaultCollate, type DataLoaderOptions, type Collated } from "./dataloader.js";
export { parseIdx, parseIdxHeader, encodeIdx, IdxError, type IdxType, type IdxHeader, type ParseIdxOptions } from "./idx.js";
export { parseCsv, CsvError, type CsvOptions, type CsvTable } from "./csv.js";
export {
  xor, blobs, twoSpirals, moons, noisySine,
  type XorOptions, type BlobsOptions, type SpiralOptions, type MoonsOptions, type NoisySineOptions,
} from "./datasets/synthetic.js";
export { mnistFromDigits, MNIST_PIXELS, type MnistOptions, type MnistSplits } from "./datasets/mnist.js";
export { randomShift, randomAffine, type RandomShiftOptions, type RandomAffineOptions } from "./transforms.js";
export { idxImageDataset, FASHION_MNIST_CLASSES, type IdxImageOptions } from "./datasets/fashion_mnist.js";
