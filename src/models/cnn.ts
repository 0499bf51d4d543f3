// Convolutional networks for small images (MNIST-sized, [C, H, W]), built as one nn.Sequential so that the state
// dict names are PyTorch's for the same Sequential: "0.weight" is the first convolution's [out, in, kH, kW] kernel.
//
//   lenet   LeCun et al. 1998, LeNet-5 with ReLU and max pooling in place of tanh and subsampling:
//           conv5x5x6 (pad 2) - ReLU - maxpool2 - conv5x5x16 - ReLU - maxpool2 - flatten - 120 - 84 - N
//   vgg     a small VGG (Simonyan & Zisserman 2014) with batch normalisation:
//           [conv3x3x32-BN-ReLU] x2 - maxpool2 - [conv3x3x64-BN-ReLU] x2 - maxpool2 - flatten
//           - dropout - dense 128 - ReLU - dropout - N
//   simple  the benchmark CNN: conv3x3x32 - ReLU - maxpool2 - conv3x3x64 - ReLU - maxpool2 - flatten - N

import * as nn from "../nn/index.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export const CNN_ARCHS = ["lenet", "vgg", "simple"] as const;
export type CnnArch = (typeof CNN_ARCHS)[number];

export interface CnnSpec {
  kind: "cnn";
  arch: CnnArch;
  /** One image's shape [channels, height, width], e.g. [1, 28, 28]. */
  inputShape: number[];
  /** N classes (logits), or 1 (a sigmoid probability for binary tasks). */
  outputs: number;
  /** Dropout before each dense layer of the vgg arch; lenet and simple have none and need 0. */
  dropout: number;
}

export const CNN_SPEC_KEYS = optionKeys<CnnSpec>({ kind: true, arch: true, inputShape: true, outputs: true, dropout: true });

// Output size of a convolution or pooling along one spatial dim (PyTorch's formula, dilation 1).
const conv = (size: number, kernel: number, pad = 0): number => size + 2 * pad - kernel + 1;
const pool = (size: number): number => Math.floor(size / 2);

/** Height and width after the arch's feature extractor, or null when the image is too small for it. */
export function cnnFeatureSize(arch: CnnArch, h: number, w: number): [number, number] | null {
  const f = (s: number): number => {
    switch (arch) {
      case "lenet": return pool(conv(pool(conv(s, 5, 2)), 5));
      // Padded 3x3 convolutions keep the size; only the two poolings shrink it.
      case "vgg": return pool(pool(s));
      case "simple": return pool(conv(pool(conv(s, 3)), 3));
    }
  };
  const out: [number, number] = [f(h), f(w)];
  return out.every((s) => s >= 1) ? out : null;
}

export function cnn(spec: CnnSpec): nn.Sequential {
  checkOptionKeys("cnn", spec, CNN_SPEC_KEYS);
  const [channels, h, w] = spec.inputShape;
  const size = cnnFeatureSize(spec.arch, h, w);
  if (size === null) throw new RangeError(`cnn ${spec.arch}: an image of ${h}x${w} pixels is too small for its convolutions and poolings`);
  const flat = (c: number) => c * size[0] * size[1];
  switch (spec.arch) {
    case "lenet":
      return new nn.Sequential(
        new nn.Conv2d(channels, 6, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Conv2d(6, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(flat(16), 120), new nn.ReLU(),
        new nn.Linear(120, 84), new nn.ReLU(),
        new nn.Linear(84, spec.outputs),
      );
    case "vgg": {
      // No bias in a convolution followed by batch norm: BN subtracts the channel mean, which cancels any bias,
      // and its own shift (BN's bias) takes that role.
      const block = (cin: number, cout: number): nn.Module[] => [new nn.Conv2d(cin, cout, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(cout), new nn.ReLU()];
      // The Dropout layers stay even at p = 0, so the layer indices (the state-dict names) do not depend on it.
      return new nn.Sequential(
        ...block(channels, 32), ...block(32, 32), new nn.MaxPool2d(2),
        ...block(32, 64), ...block(64, 64), new nn.MaxPool2d(2),
        new nn.Flatten(), new nn.Dropout(spec.dropout),
        new nn.Linear(flat(64), 128), new nn.ReLU(), new nn.Dropout(spec.dropout),
        new nn.Linear(128, spec.outputs),
      );
    }
    case "simple":
      return new nn.Sequential(
        new nn.Conv2d(channels, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(flat(64), spec.outputs),
      );
  }
}

export function describeCnn(spec: CnnSpec): string {
  const [c, h, w] = spec.inputShape;
  const out = spec.outputs;
  const body = {
    lenet: `conv5x5x6-relu-maxpool, conv5x5x16-relu-maxpool, 120-84-${out}`,
    vgg: `[conv3x3x32-bn-relu]x2-maxpool, [conv3x3x64-bn-relu]x2-maxpool, 128-${out}${spec.dropout > 0 ? `, dropout ${spec.dropout}` : ""}`,
    simple: `conv3x3x32-relu-maxpool, conv3x3x64-relu-maxpool, ${out}`,
  }[spec.arch];
  return `cnn ${spec.arch} ${c}x${h}x${w} (${body})`;
}

/** Validates the cnn-specific fields of a spec read from a file (the caller has checked inputShape). */
export function checkCnnSpec(s: Record<string, unknown>, inputShape: number[]): CnnSpec {
  if (!CNN_ARCHS.includes(s.arch as CnnArch)) throw new Error(`model spec: a cnn's arch must be one of ${CNN_ARCHS.join(", ")}, got ${JSON.stringify(s.arch)}`);
  const arch = s.arch as CnnArch;
  if (inputShape.length !== 3) throw new Error(`model spec: a cnn's inputShape must be [channels, height, width], got ${JSON.stringify(inputShape)}`);
  if (cnnFeatureSize(arch, inputShape[1], inputShape[2]) === null) throw new Error(`model spec: a ${inputShape[1]}x${inputShape[2]} image is too small for the ${arch} cnn`);
  if (!Number.isInteger(s.outputs) || (s.outputs as number) <= 0) throw new Error(`model spec: outputs must be a positive integer, got ${JSON.stringify(s.outputs)}`);
  const dropout = s.dropout ?? 0;
  if (typeof dropout !== "number" || dropout < 0 || dropout >= 1) throw new Error(`model spec: dropout must be in [0, 1), got ${JSON.stringify(s.dropout)}`);
  if (dropout > 0 && arch !== "vgg") throw new Error(`model spec: the ${arch} cnn has no dropout layers (only vgg has), got dropout ${dropout}`);
  return { kind: "cnn", arch, inputShape, outputs: s.outputs as number, dropout };
}
