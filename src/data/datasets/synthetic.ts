// Small synthetic datasets for first lessons and tests, drawn from a Generator (default: the global one, so
// manualSeed reproduces them). Classification sets interleave their classes (item i has class i % classes), so any
// prefix is balanced. Each returns a TensorDataset of [x, y].

import { defaultGenerator, type Generator } from "../../tensor/random.js";
import { Tensor } from "../../tensor/tensor.js";
import { TensorDataset } from "../dataset.js";
import { checkOptionKeys, optionKeys } from "../../util/options.js";

function checkCount(op: string, n: number, min = 1): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${op}: n must be an integer >= ${min}, got ${n}`);
}

function checkNonNegative(op: string, name: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${op}: ${name} must be a non-negative number, got ${v}`);
}

const xy = (x: Float32Array, features: number, y: Tensor): TensorDataset => new TensorDataset(new Tensor(x, [x.length / features, features]), y);
const classLabels = (labels: Int32Array): Tensor => new Tensor(labels, [labels.length]);

export interface XorOptions {
  /** Number of points. Absent: the four corners (0,0), (0,1), (1,0), (1,1), with no noise. */
  n?: number;
  /** Standard deviation of Gaussian noise added to each corner when n is given (default 0.1). */
  noise?: number;
  generator?: Generator;
}

const XOR_OPTION_KEYS = optionKeys<XorOptions>({ n: true, noise: true, generator: true });

/**
 * XOR: x float32 [n, 2], y float32 [n, 1] (1 when exactly one coordinate is 1), the targets a sigmoid output and
 * binaryCrossEntropy expect. With no n: the four corners in truth-table order. With n: point i is corner i % 4
 * plus noise.
 */
export function xor(opts: XorOptions = {}): TensorDataset {
  checkOptionKeys("xor", opts, XOR_OPTION_KEYS);
  const { n, noise = 0.1, generator: g = defaultGenerator } = opts;
  const corners = [[0, 0], [0, 1], [1, 0], [1, 1]];
  if (n === undefined) {
    return xy(Float32Array.from(corners.flat()), 2, new Tensor(Float32Array.of(0, 1, 1, 0), [4, 1]));
  }
  checkCount("xor", n);
  checkNonNegative("xor", "noise", noise);
  const x = new Float32Array(2 * n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [a, b] = corners[i % 4];
    x[2 * i] = a + noise * g.normal();
    x[2 * i + 1] = b + noise * g.normal();
    y[i] = a ^ b;
  }
  return xy(x, 2, new Tensor(y, [n, 1]));
}

export interface BlobsOptions {
  /** Number of points (default 100). */
  n?: number;
  /** Number of classes, 2 or more (default 2). */
  classes?: number;
  /** Features per point, 2 or more (default 2). */
  features?: number;
  /** Standard deviation of each blob (default 0.5). */
  std?: number;
  /** Radius of the circle the centres sit on (default 3). */
  radius?: number;
  generator?: Generator;
}

const BLOBS_OPTION_KEYS = optionKeys<BlobsOptions>({ n: true, classes: true, features: true, std: true, radius: true, generator: true });

/**
 * Gaussian blobs that a linear classifier separates exactly: x float32 [n, features], y int32 [n] in
 * 0..classes-1. Centre k sits at angle 2*pi*k/classes on a circle of `radius` in the first two features (0 in the
 * others). A draw that lands 0.45 x (the smallest distance between centres) or further from its centre is drawn
 * again, so every point stays inside its centre's Voronoi cell (a convex region bounded by hyperplanes): the
 * classes are linearly separable whatever the seed.
 */
export function blobs(opts: BlobsOptions = {}): TensorDataset {
  checkOptionKeys("blobs", opts, BLOBS_OPTION_KEYS);
  const { n = 100, classes = 2, features = 2, std = 0.5, radius = 3, generator: g = defaultGenerator } = opts;
  checkCount("blobs", n);
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`blobs: classes must be an integer >= 2, got ${classes}`);
  if (!Number.isInteger(features) || features < 2) throw new RangeError(`blobs: features must be an integer >= 2, got ${features}`);
  checkNonNegative("blobs", "std", std);
  if (!Number.isFinite(radius) || radius <= 0) throw new RangeError(`blobs: radius must be a positive number, got ${radius}`);
  const minDistance = 2 * radius * Math.sin(Math.PI / classes);
  const limit = 0.45 * minDistance;
  const x = new Float32Array(n * features), y = new Int32Array(n);
  const offset = new Float64Array(features);
  for (let i = 0; i < n; i++) {
    const k = i % classes;
    for (let tries = 0; ; tries++) {
      let norm2 = 0;
      for (let f = 0; f < features; f++) { offset[f] = std * g.normal(); norm2 += offset[f] ** 2; }
      if (Math.sqrt(norm2) < limit) break;
      if (tries > 1000) throw new RangeError(`blobs: std ${std} is too large for ${classes} classes on radius ${radius} (points must stay within ${limit.toFixed(3)} of their centre); lower std or raise radius`);
    }
    const angle = (2 * Math.PI * k) / classes;
    for (let f = 0; f < features; f++) {
      const centre = f === 0 ? radius * Math.cos(angle) : f === 1 ? radius * Math.sin(angle) : 0;
      x[i * features + f] = centre + offset[f];
    }
    y[i] = k;
  }
  return xy(x, features, classLabels(y));
}

export interface SpiralOptions {
  /** Number of points, half per spiral (default 200). */
  n?: number;
  /** Turns each spiral makes (default 1.5). */
  turns?: number;
  /** Standard deviation of Gaussian noise on each coordinate (default 0.02; the spirals fill [-1, 1]). */
  noise?: number;
  generator?: Generator;
}

const SPIRAL_OPTION_KEYS = optionKeys<SpiralOptions>({ n: true, turns: true, noise: true, generator: true });

/**
 * Two interleaved spirals, the classic problem no linear model solves: x float32 [n, 2] within about [-1, 1],
 * y int32 [n] (0 or 1). Point i belongs to spiral i % 2 at angle t = 2*pi*turns*sqrt(u) (u uniform, so points are
 * spread evenly along the arm) and radius t / (2*pi*turns); spiral 1 is spiral 0 turned by half a circle.
 */
export function twoSpirals(opts: SpiralOptions = {}): TensorDataset {
  checkOptionKeys("twoSpirals", opts, SPIRAL_OPTION_KEYS);
  const { n = 200, turns = 1.5, noise = 0.02, generator: g = defaultGenerator } = opts;
  checkCount("twoSpirals", n);
  if (!Number.isFinite(turns) || turns <= 0) throw new RangeError(`twoSpirals: turns must be a positive number, got ${turns}`);
  checkNonNegative("twoSpirals", "noise", noise);
  const x = new Float32Array(2 * n), y = new Int32Array(n);
  const full = 2 * Math.PI * turns;
  for (let i = 0; i < n; i++) {
    const k = i % 2;
    const t = full * Math.sqrt(g.random());
    const r = t / full;
    const angle = t + Math.PI * k;
    x[2 * i] = r * Math.cos(angle) + noise * g.normal();
    x[2 * i + 1] = r * Math.sin(angle) + noise * g.normal();
    y[i] = k;
  }
  return xy(x, 2, classLabels(y));
}

export interface MoonsOptions {
  /** Number of points, half per moon (default 100). */
  n?: number;
  /** Standard deviation of Gaussian noise on each coordinate (default 0.1). */
  noise?: number;
  generator?: Generator;
}

const MOONS_OPTION_KEYS = optionKeys<MoonsOptions>({ n: true, noise: true, generator: true });

/**
 * Two interleaving half circles: x float32 [n, 2], y int32 [n]. Class 0 is (cos a, sin a), class 1 is
 * (1 - cos a, 0.5 - sin a), for a uniform in [0, pi], plus noise.
 */
export function moons(opts: MoonsOptions = {}): TensorDataset {
  checkOptionKeys("moons", opts, MOONS_OPTION_KEYS);
  const { n = 100, noise = 0.1, generator: g = defaultGenerator } = opts;
  checkCount("moons", n);
  checkNonNegative("moons", "noise", noise);
  const x = new Float32Array(2 * n), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 2;
    const a = Math.PI * g.random();
    const px = k === 0 ? Math.cos(a) : 1 - Math.cos(a);
    const py = k === 0 ? Math.sin(a) : 0.5 - Math.sin(a);
    x[2 * i] = px + noise * g.normal();
    x[2 * i + 1] = py + noise * g.normal();
    y[i] = k;
  }
  return xy(x, 2, classLabels(y));
}

export interface NoisySineOptions {
  /** Number of points (default 100). */
  n?: number;
  /** Standard deviation of Gaussian noise on y (default 0.1). */
  noise?: number;
  /** The interval x is drawn from, uniformly (default [-pi, pi]). */
  range?: readonly [number, number];
  generator?: Generator;
}

const NOISY_SINE_OPTION_KEYS = optionKeys<NoisySineOptions>({ n: true, noise: true, range: true, generator: true });

/** Regression: x float32 [n, 1] uniform in `range`, y float32 [n, 1] = sin(x) + noise. */
export function noisySine(opts: NoisySineOptions = {}): TensorDataset {
  checkOptionKeys("noisySine", opts, NOISY_SINE_OPTION_KEYS);
  const { n = 100, noise = 0.1, range = [-Math.PI, Math.PI], generator: g = defaultGenerator } = opts;
  checkCount("noisySine", n);
  checkNonNegative("noisySine", "noise", noise);
  const [lo, hi] = range;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) throw new RangeError(`noisySine: range must be [low, high] with low < high, got [${lo}, ${hi}]`);
  const x = new Float32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = lo + (hi - lo) * g.random();
    y[i] = Math.sin(x[i]) + noise * g.normal();
  }
  return new TensorDataset(new Tensor(x, [n, 1]), new Tensor(y, [n, 1]));
}
