// Batch transforms for image data: normalisation and random translation (the cheapest augmentation that helps a
// dense network on digits: it learns that a digit moved by a pixel or two is the same digit).

import { defaultGenerator, type Generator } from "../tensor/random.js";
import { ShapeError, fmt } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

/**
 * Moves each image of a batch [N, C, H, W] (or [N, H, W]) by a random whole number of pixels in
 * [-maxShift, maxShift] along each axis, filling the uncovered border with `fill`. Returns a new tensor.
 */
export function randomShift(x: Tensor, maxShift: number, opts: { fill?: number; generator?: Generator } = {}): Tensor {
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
