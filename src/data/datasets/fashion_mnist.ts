// Image-classification datasets stored as IDX files in MNIST's layout (Fashion-MNIST, the original MNIST, KMNIST):
// an idx3 ubyte file of images [N, H, W] and an idx1 ubyte file of labels [N]. This part works on the files'
// (decompressed) bytes, so it runs in a browser; finding and reading them in a directory is at the Node edge
// (fashionMnist in src/data/node/fashion_mnist.ts).

import { fmt } from "../../tensor/shape.js";
import { Tensor } from "../../tensor/tensor.js";
import { TensorDataset } from "../dataset.js";
import { parseIdx, parseIdxHeader } from "../idx.js";
import { checkOptionKeys, optionKeys } from "../../util/options.js";

/** Fashion-MNIST's class names; label k is FASHION_MNIST_CLASSES[k]. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]);

export interface IdxImageOptions {
  /** x as [N, H*W] instead of [N, 1, H, W] (default false). */
  flatten?: boolean;
}

export const IDX_IMAGE_OPTION_KEYS = optionKeys<IdxImageOptions>({ flatten: true });

/**
 * A TensorDataset from an IDX image file and an IDX label file (uncompressed bytes): x float32 [N, 1, H, W] (or
 * [N, H*W]) with pixels divided by 255 into [0, 1], as torchvision's ToTensor does; y int32 [N]. `names` label
 * the two inputs in errors (file paths at the Node edge).
 */
export function idxImageDataset(
  images: Uint8Array, labels: Uint8Array, opts: IdxImageOptions = {},
  names: { images: string; labels: string } = { images: "images", labels: "labels" },
): TensorDataset {
  checkOptionKeys("idxImageDataset", opts, IDX_IMAGE_OPTION_KEYS);
  const header = (bytes: Uint8Array, name: string) => {
    try {
      return parseIdxHeader(bytes);
    } catch (e) {
      (e as Error).message = (e as Error).message.replace(/^parseIdx: /, `idxImageDataset: ${name}: `);
      throw e;
    }
  };
  const hi = header(images, names.images), hl = header(labels, names.labels);
  if (hi.type !== "ubyte" || hi.shape.length !== 3) {
    throw new Error(`idxImageDataset: ${names.images} should hold ubyte images [N, height, width], found ${hi.type} of shape ${fmt(hi.shape)}`);
  }
  if (hl.shape.length !== 1 || (hl.type !== "ubyte" && hl.type !== "sbyte" && hl.type !== "short" && hl.type !== "int")) {
    throw new Error(`idxImageDataset: ${names.labels} should hold integer labels [N], found ${hl.type} of shape ${fmt(hl.shape)}`);
  }
  const [n, h, w] = hi.shape;
  if (hl.shape[0] !== n) throw new Error(`idxImageDataset: ${names.images} has ${n} images but ${names.labels} has ${hl.shape[0]} labels`);
  // One pass from bytes to [0, 1] floats; x * (1/255) rounds to the same float32 as x / 255 for every byte value.
  const x = parseIdx(images, { dtype: "float32", scale: 1 / 255 });
  const y = parseIdx(labels, { dtype: "int32" });
  const shape = opts.flatten ? [n, h * w] : [n, 1, h, w];
  return new TensorDataset(new Tensor(x.data, shape), y);
}
