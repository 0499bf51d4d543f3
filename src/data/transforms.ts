// Batch transforms for image data: normalisation and random translation (the cheapest augmentation that helps a
// dense network on digits: it learns that a digit moved by a pixel or two is the same digit).

import { defaultGenerator, type Generator } from "../tensor/random.js";
import { ShapeError, fmt } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { checkOptionKeys, optionKeys } from "../util/options.js";

export interface RandomShiftOptions {
  /** What the uncovered border holds (default 0). */
  fill?: number;
  generator?: Generator;
}

const RANDOM_SHIFT_OPTION_KEYS = optionKeys<RandomShiftOptions>({ fill: true, generator: true });

/**
 * Moves each image of a batch [N, C, H, W] (or [N, H, W]) by a random whole number of pixels in
 * [-maxShift, maxShift] along each axis, filling the uncovered border with `fill`. Returns a new tensor.
 */
export function randomShift(x: Tensor, maxShift: number, opts: RandomShiftOptions = {}): Tensor {
  checkOptionKeys("randomShift", opts, RANDOM_SHIFT_OPTION_KEYS);
  const { fill = 0, generator = defaultGenerator } = opts;
  if (x.ndim !== 3 && x.ndim !== 4) throw new ShapeError(`randomShift: expected images [N, C, H, W] or [N, H, W], got ${fmt(x.shape)}`);
  if (!Number.isInteger(maxShift) || maxShift < 0) throw new RangeError(`randomShift: maxShift must be a non-negative integer, got ${maxShift}`);
  const [n] = x.shape, h = x.shape[x.ndim - 2], w = x.shape[x.ndim - 1];
  const channels = x.ndim === 4 ? x.shape[1] : 1;
  const src = x.float().contiguous().toTypedArray() as Float32Array;
  const out = new Float32Array(src.length).fill(fill);
  for (let i = 0; i < n; i++) {
    const dy = generator.int(-maxShift, maxShift + 1), dx = generator.int(-maxShift, maxShift + 1);
    for (let c = 0; c < channels; c++) {
      const base = (i * channels + c) * h * w;
      for (let r = Math.max(0, dy); r < Math.min(h, h + dy); r++) {
        const from = base + (r - dy) * w, to = base + r * w;
        for (let col = Math.max(0, dx); col < Math.min(w, w + dx); col++) out[to + col] = src[from + col - dx];
      }
    }
  }
  return new Tensor(out, x.shape);
}

export interface RandomAffineOptions {
  /** Largest rotation, in degrees either way (default 0). */
  degrees?: number;
  /** Largest translation, in pixels along each axis (default 0). */
  translate?: number;
  /** Scale drawn from [1 - scale, 1 + scale] (default 0). */
  scale?: number;
  fill?: number;
  generator?: Generator;
}

const RANDOM_AFFINE_OPTION_KEYS = optionKeys<RandomAffineOptions>({ degrees: true, translate: true, scale: true, fill: true, generator: true });

/**
 * Rotates, scales and moves each image of a batch [N, C, H, W] (or [N, H, W]) about its centre by random amounts,
 * sampling the source bilinearly; pixels that come from outside the image get `fill`. Returns a new tensor.
 */
export function randomAffine(x: Tensor, opts: RandomAffineOptions = {}): Tensor {
  checkOptionKeys("randomAffine", opts, RANDOM_AFFINE_OPTION_KEYS);
  const { degrees = 0, translate = 0, scale = 0, fill = 0, generator = defaultGenerator } = opts;
  if (x.ndim !== 3 && x.ndim !== 4) throw new ShapeError(`randomAffine: expected images [N, C, H, W] or [N, H, W], got ${fmt(x.shape)}`);
  if (!(degrees >= 0 && translate >= 0 && scale >= 0 && scale < 1)) throw new RangeError(`randomAffine: degrees and translate must be >= 0 and scale in [0, 1), got ${degrees}, ${translate}, ${scale}`);
  const [n] = x.shape, h = x.shape[x.ndim - 2], w = x.shape[x.ndim - 1];
  const channels = x.ndim === 4 ? x.shape[1] : 1;
  const src = x.float().contiguous().toTypedArray() as Float32Array;
  const out = new Float32Array(src.length);
  const cy = (h - 1) / 2, cx = (w - 1) / 2;
  const uniform = (a: number) => (generator.random() * 2 - 1) * a;
  for (let i = 0; i < n; i++) {
    const angle = (uniform(degrees) * Math.PI) / 180, s = 1 + uniform(scale);
    const ty = uniform(translate), tx = uniform(translate);
    // Inverse map: for each output pixel, where in the source does it come from?
    const cos = Math.cos(angle) / s, sin = Math.sin(angle) / s;
    for (let c = 0; c < channels; c++) {
      const base = (i * channels + c) * h * w;
      for (let r = 0; r < h; r++) {
        const dy = r - cy - ty;
        for (let col = 0; col < w; col++) {
          const dx = col - cx - tx;
          const sx = cos * dx + sin * dy + cx, sy = -sin * dx + cos * dy + cy;
          const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
          const at = (yy: number, xx: number) => (yy >= 0 && yy < h && xx >= 0 && xx < w ? src[base + yy * w + xx] : fill);
          out[base + r * w + col] = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
        }
      }
    }
  }
  return new Tensor(out, x.shape);
}
