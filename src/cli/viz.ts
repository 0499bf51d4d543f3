// `axon viz MODEL`: pictures of a saved model, as PNG files: what its first layer learned (convolution kernels, or
// an MLP's first-layer weight rows as images), its confusion matrix and misclassified images on the test split,
// and its training curves (from the per-epoch history `axon train` stores in the file's metadata).
//
// The drawing is a few primitives on an RGB pixel buffer (rectangles, lines, a 3x5 bitmap font), encoded by
// src/io/png.ts: no canvas library, nothing to install.

import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { nn, type Tensor, type SavedModel } from "../index.js";
import { createImage, encodePng, type Image } from "../io/png.js";
import { parse, intOption, choiceOption, UsageError, type Options } from "./args.js";
import { DATASETS, dataFor } from "./datasets.js";
import { openModel, predictedClasses, scores } from "./common.js";
import { describeSpec } from "../models/zoo.js";

const HELP = `Usage: axon viz MODEL [options]

Draws a saved model as PNG images in a directory:
  filters.png      the first layer's weights: a cnn's first convolution kernels, an MLP's (or perceptron's)
                   first-layer weight rows as images (red positive, blue negative)
  confusion.png    the confusion matrix on the test split (rows: true class, columns: predicted), with counts
  mistakes.png     misclassified test images, labelled P (predicted) and T (true class index)
  curves.png       training loss and accuracy per epoch, train and test (models saved by axon train)
Options:
  --out DIR        where to write (default: MODEL's name without .safetensors, plus "-viz")
  --dataset NAME   evaluate on another dataset (${DATASETS.join(", ")}) with the same input shape
  --data-dir DIR   fashion-mnist: directory of IDX files
  --limit N        use the first N test samples only (default: all)
  --mistakes 48    how many misclassified images to show
`;

const OPTIONS: Options = {
  help: { type: "boolean", short: "h" }, out: { type: "string" }, dataset: { type: "string" }, "data-dir": { type: "string" },
  limit: { type: "string" }, mistakes: { type: "string" },
};

// ---- drawing -----------------------------------------------------------------------------------------------------

type RGB = readonly [number, number, number];
const WHITE: RGB = [255, 255, 255], BLACK: RGB = [0, 0, 0], GRAY: RGB = [160, 160, 160], LIGHT: RGB = [230, 230, 230];
const BLUE: RGB = [31, 119, 180], ORANGE: RGB = [255, 127, 14], RED: RGB = [214, 39, 40], GREEN: RGB = [44, 160, 44];

function setPixel(img: Image, x: number, y: number, c: RGB): void {
  x = Math.round(x);
  y = Math.round(y);
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const i = (y * img.width + x) * 3;
  img.data[i] = c[0];
  img.data[i + 1] = c[1];
  img.data[i + 2] = c[2];
}

function fillRect(img: Image, x: number, y: number, w: number, h: number, c: RGB): void {
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) setPixel(img, x + i, y + j, c);
}

/** A line `width` pixels thick (a square pen moved along Bresenham's line). */
function line(img: Image, x0: number, y0: number, x1: number, y1: number, c: RGB, width = 1): void {
  x0 = Math.round(x0); y0 = Math.round(y0); x1 = Math.round(x1); y1 = Math.round(y1);
  const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  const off = Math.floor((width - 1) / 2);
  for (;;) {
    fillRect(img, x0 - off, y0 - off, width, width, c);
    if (x0 === x1 && y0 === y1) break;
    const e2 = 2 * err;
    if (e2 >= dy) { err += dy; x0 += sx; }
    if (e2 <= dx) { err += dx; y0 += sy; }
  }
}

// A 3x5 pixel font: digits, capitals and a little punctuation; rows top to bottom, "#" is ink.
const GLYPHS: Record<string, string> = {
  "0": "###|#.#|#.#|#.#|###", "1": ".#.|##.|.#.|.#.|###", "2": "###|..#|###|#..|###", "3": "###|..#|.##|..#|###",
  "4": "#.#|#.#|###|..#|..#", "5": "###|#..|###|..#|###", "6": "###|#..|###|#.#|###", "7": "###|..#|.#.|.#.|.#.",
  "8": "###|#.#|###|#.#|###", "9": "###|#.#|###|..#|###",
  A: ".#.|#.#|###|#.#|#.#", B: "##.|#.#|##.|#.#|##.", C: ".##|#..|#..|#..|.##", D: "##.|#.#|#.#|#.#|##.",
  E: "###|#..|##.|#..|###", F: "###|#..|##.|#..|#..", G: ".##|#..|#.#|#.#|.##", H: "#.#|#.#|###|#.#|#.#",
  I: "###|.#.|.#.|.#.|###", J: "..#|..#|..#|#.#|.#.", K: "#.#|#.#|##.|#.#|#.#", L: "#..|#..|#..|#..|###",
  M: "#.#|###|###|#.#|#.#", N: "##.|#.#|#.#|#.#|#.#", O: ".#.|#.#|#.#|#.#|.#.", P: "##.|#.#|##.|#..|#..",
  Q: ".#.|#.#|#.#|##.|.##", R: "##.|#.#|##.|#.#|#.#", S: ".##|#..|.#.|..#|##.", T: "###|.#.|.#.|.#.|.#.",
  U: "#.#|#.#|#.#|#.#|###", V: "#.#|#.#|#.#|#.#|.#.", W: "#.#|#.#|###|###|#.#", X: "#.#|#.#|.#.|#.#|#.#",
  Y: "#.#|#.#|.#.|.#.|.#.", Z: "###|..#|.#.|#..|###",
  ":": "...|.#.|...|.#.|...", "/": "..#|..#|.#.|#..|#..", "-": "...|...|###|...|...", ".": "...|...|...|...|.#.",
  "%": "#.#|..#|.#.|#..|#.#", "(": ".#.|#..|#..|#..|.#.", ")": ".#.|..#|..#|..#|.#.", ">": "#..|.#.|..#|.#.|#..",
  "=": "...|###|...|###|...", ",": "...|...|...|.#.|#..", "_": "...|...|...|...|###", " ": "...|...|...|...|...",
};
const FONT_W = 4, FONT_H = 6; // a glyph and its spacing, in font pixels

/** Width in pixels of `s` drawn at `scale`. */
function textWidth(s: string, scale = 1): number {
  return Math.max(0, s.length * FONT_W - 1) * scale;
}

function text(img: Image, x: number, y: number, s: string, c: RGB, scale = 1): void {
  [...s.toUpperCase()].forEach((ch, k) => {
    const rows = (GLYPHS[ch] ?? GLYPHS["-"]).split("|");
    rows.forEach((row, r) => [...row].forEach((p, col) => {
      if (p === "#") fillRect(img, x + (k * FONT_W + col) * scale, y + r * scale, scale, scale, c);
    }));
  });
}

/** White to dark blue, for t in [0, 1]. */
function blues(t: number): RGB {
  const a: RGB = [247, 251, 255], b: RGB = [8, 48, 107];
  t = Math.min(1, Math.max(0, t));
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)) as unknown as RGB;
}

/** Blue (negative) - white (0) - red (positive), for t in [-1, 1]. */
function diverging(t: number): RGB {
  t = Math.min(1, Math.max(-1, t));
  const end: RGB = t < 0 ? [33, 102, 172] : [178, 24, 43];
  const u = Math.abs(t);
  return [0, 1, 2].map((i) => Math.round(255 + (end[i] - 255) * u)) as unknown as RGB;
}

function save(dir: string, name: string, img: Image): string {
  const file = path.join(dir, name);
  writeFileSync(file, encodePng(img));
  return file;
}

// ---- the pictures ------------------------------------------------------------------------------------------------

/** Tiles [count, h, w] float maps into a grid, each scaled to fit its own largest |value| (0 is white). */
function tileGrid(maps: Float32Array[], h: number, w: number, title: string): Image {
  const count = maps.length;
  const cols = Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / cols);
  const scale = Math.max(1, Math.round(56 / Math.max(h, w)));
  const cell = Math.max(h, w) * scale + 4;
  const top = 14;
  const img = createImage(Math.max(cols * cell + 4, textWidth(title) + 8), rows * cell + 4 + top, 3, 255);
  text(img, 4, 4, title, BLACK);
  maps.forEach((m, k) => {
    const x0 = 4 + (k % cols) * cell, y0 = top + 4 + Math.floor(k / cols) * cell;
    let max = 0;
    for (const v of m) max = Math.max(max, Math.abs(v));
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) fillRect(img, x0 + c * scale, y0 + r * scale, scale, scale, diverging(max > 0 ? m[r * w + c] / max : 0));
  });
  return img;
}

/** The first layer's weights as images, or null when they are not image-shaped. */
function filtersImage(saved: SavedModel): Image | null {
  const model = saved.model;
  let first: Tensor | null = null;
  let conv = false;
  if (model instanceof nn.Module) {
    for (const m of model.modules()) {
      if (m instanceof nn.Conv2d) { first = m.weight; conv = true; break; }
      if (m instanceof nn.Linear) { first = m.weight; break; }
    }
  } else {
    first = model.weight;
  }
  if (first === null) return null;
  const w = first.detach().contiguous();
  const values = w.toTypedArray() as Float32Array;
  if (conv) {
    // [out, in, kH, kW]: one tile per (output channel, input channel) pair; a 1-channel input gives one per filter.
    const [out, inC, kh, kw] = w.shape;
    const maps = Array.from({ length: Math.min(out * inC, 256) }, (_, k) => values.slice(k * kh * kw, (k + 1) * kh * kw));
    return tileGrid(maps, kh, kw, `FIRST CONV: ${out} FILTERS ${kh}X${kw}`);
  }
  // A Linear's rows [out, in] are images when the input is one: in = H * W of a 1-channel input.
  const shape = saved.spec.inputShape;
  const [hh, ww] = shape.length >= 2 ? shape.slice(-2) : [0, 0];
  const inF = w.shape[1];
  if (hh * ww !== inF) return null;
  const n = Math.min(w.shape[0], 64);
  const maps = Array.from({ length: n }, (_, k) => values.slice(k * inF, (k + 1) * inF));
  return tileGrid(maps, hh, ww, `FIRST LAYER: ${n} OF ${w.shape[0]} WEIGHT ROWS`);
}

function confusionImage(confusion: number[][], classes: string[]): Image {
  const c = confusion.length;
  const maxCount = Math.max(...confusion.flat(), 1);
  const cell = Math.max(28, textWidth(String(maxCount), 2) + 8);
  // Rows are labelled "index name" (or just the index when the names are the digits); columns by index.
  const names = classes.map((k, i) => (k === String(i) ? k : `${i} ${k}`));
  const left = Math.max(...names.map((s) => textWidth(s, 2))) + 12;
  const top = 48;
  const img = createImage(left + c * cell + 10, top + c * cell + 10, 3, 255);
  text(img, left, 4, "CONFUSION MATRIX", BLACK, 2);
  text(img, left, 22, "COLUMNS: PREDICTED, ROWS: TRUE", GRAY);
  for (let i = 0; i < c; i++) {
    const total = Math.max(1, confusion[i].reduce((a, b) => a + b, 0));
    text(img, 4, top + i * cell + Math.floor(cell / 2) - 5, names[i], BLACK, 2);
    text(img, left + i * cell + Math.floor((cell - textWidth(String(i), 2)) / 2), top - 13, String(i), BLACK, 2);
    for (let j = 0; j < c; j++) {
      // The color is the share of the true class's samples, so rare classes' rows are as readable as common ones.
      const t = confusion[i][j] / total;
      const bg = confusion[i][j] === 0 ? WHITE : blues(0.08 + 0.92 * t);
      const x = left + j * cell, y = top + i * cell;
      fillRect(img, x, y, cell, cell, bg);
      const s = String(confusion[i][j]);
      text(img, x + Math.floor((cell - textWidth(s, 2)) / 2), y + Math.floor((cell - 10) / 2), s, t > 0.5 ? WHITE : confusion[i][j] === 0 ? LIGHT : BLACK, 2);
    }
  }
  // Grid lines between cells.
  for (let k = 0; k <= c; k++) {
    line(img, left, top + k * cell, left + c * cell, top + k * cell, LIGHT);
    line(img, left + k * cell, top, left + k * cell, top + c * cell, LIGHT);
  }
  return img;
}

/** Misclassified images in a grid, each labelled "P<predicted> T<true>". */
function mistakesImage(images: Float32Array[], h: number, w: number, labels: [number, number][]): Image {
  const cols = Math.min(8, Math.max(1, images.length));
  const rows = Math.max(1, Math.ceil(images.length / cols));
  const scale = 2;
  const cellW = Math.max(w * scale, textWidth("P00 T00", 2)) + 8, cellH = h * scale + 20;
  const top = 18;
  const img = createImage(Math.max(cols * cellW + 8, 200), top + rows * cellH + 4, 3, 255);
  text(img, 4, 4, images.length ? "MISTAKES: P PREDICTED, T TRUE" : "NO MISTAKES", BLACK);
  images.forEach((px, k) => {
    const x0 = 4 + (k % cols) * cellW, y0 = top + Math.floor(k / cols) * cellH;
    let lo = Infinity, hi = -Infinity;
    for (const v of px) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const g = Math.round((255 * (px[r * w + c] - lo)) / (hi - lo || 1));
        fillRect(img, x0 + c * scale, y0 + r * scale, scale, scale, [g, g, g]);
      }
    }
    const [p, t] = labels[k];
    text(img, x0, y0 + h * scale + 3, `P${p}`, RED, 2);
    text(img, x0 + textWidth(`P${p} `, 2), y0 + h * scale + 3, `T${t}`, GREEN, 2);
  });
  return img;
}

export interface HistoryEntry { epoch: number; loss: number; accuracy?: number; valLoss?: number; valAccuracy?: number }

/** One line chart panel: series of (epoch, value) in a box with axes, ticks and a legend. */
function panel(img: Image, x0: number, y0: number, w: number, h: number, title: string, series: { name: string; color: RGB; points: [number, number][] }[], percent: boolean): void {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return;
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const xMin = Math.min(...xs), xMax = Math.max(...xs);
  let yMin = Math.min(...ys), yMax = Math.max(...ys);
  const pad = (yMax - yMin) * 0.1 || Math.abs(yMax) * 0.1 || 0.1;
  yMin = percent ? Math.max(0, yMin - pad) : Math.max(0, yMin - pad);
  yMax = percent ? Math.min(1, yMax + pad) : yMax + pad;
  if (yMax <= yMin) yMax = yMin + 0.01;
  const left = x0 + 40, right = x0 + w - 10, top = y0 + 24, bottom = y0 + h - 28;
  const px = (e: number) => (xMax === xMin ? (left + right) / 2 : left + ((e - xMin) / (xMax - xMin)) * (right - left));
  const py = (v: number) => bottom - ((v - yMin) / (yMax - yMin)) * (bottom - top);
  text(img, left, y0 + 4, title, BLACK, 2);
  // Horizontal grid lines with value labels.
  for (let k = 0; k <= 4; k++) {
    const v = yMin + ((yMax - yMin) * k) / 4;
    const y = py(v);
    line(img, left, y, right, y, LIGHT);
    const label = percent ? `${(100 * v).toFixed(1)}` : v.toFixed(v < 1 ? 3 : 2);
    text(img, left - 4 - textWidth(label), Math.round(y) - 2, label, GRAY);
  }
  // Epoch ticks: every epoch when there are few, else about ten.
  const step = Math.max(1, Math.ceil((xMax - xMin + 1) / 10));
  for (let e = xMin; e <= xMax; e += step) {
    const x = px(e);
    line(img, x, bottom, x, bottom + 3, BLACK);
    text(img, Math.round(x - textWidth(String(e)) / 2), bottom + 6, String(e), GRAY);
  }
  text(img, Math.round((left + right) / 2 - textWidth("EPOCH") / 2), bottom + 14, "EPOCH", GRAY);
  line(img, left, top, left, bottom, BLACK);
  line(img, left, bottom, right, bottom, BLACK);
  for (const s of series) {
    s.points.forEach(([e, v], i) => {
      if (i > 0) line(img, px(s.points[i - 1][0]), py(s.points[i - 1][1]), px(e), py(v), s.color, 2);
      fillRect(img, Math.round(px(e)) - 2, Math.round(py(v)) - 2, 5, 5, s.color);
    });
  }
  // Legend in the title row, right-aligned, so it never hides a line.
  let lx = right;
  for (const s of series.filter((x) => x.points.length > 0).reverse()) {
    lx -= textWidth(s.name) + 14 + 10;
    fillRect(img, lx, y0 + 8, 10, 5, s.color);
    text(img, lx + 14, y0 + 8, s.name, BLACK);
  }
}

function curvesImage(history: HistoryEntry[]): Image {
  const w = 360, h = 260;
  const img = createImage(2 * w, h, 3, 255);
  const pts = (key: keyof HistoryEntry): [number, number][] => history.filter((e) => typeof e[key] === "number" && Number.isFinite(e[key])).map((e) => [e.epoch, e[key] as number]);
  panel(img, 0, 0, w, h, "LOSS", [{ name: "TRAIN", color: BLUE, points: pts("loss") }, { name: "TEST", color: ORANGE, points: pts("valLoss") }], false);
  panel(img, w, 0, w, h, "ACCURACY %", [{ name: "TRAIN", color: BLUE, points: pts("accuracy") }, { name: "TEST", color: ORANGE, points: pts("valAccuracy") }], true);
  return img;
}

// ---- the command -------------------------------------------------------------------------------------------------

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, "viz");
  if (values.help) { process.stdout.write(HELP); return 0; }
  const file = positionals[0];
  const saved = openModel(file, "viz");
  const dir = String(values.out ?? `${file!.replace(/\.safetensors$/i, "")}-viz`);
  mkdirSync(dir, { recursive: true });
  const say = (s: string) => process.stdout.write(s + "\n");
  say(`Model: ${describeSpec(saved.spec)}`);
  const written: string[] = [];

  const filters = filtersImage(saved);
  if (filters) written.push(save(dir, "filters.png", filters));
  else say("filters.png: skipped (the first layer's weights are not image-shaped)");

  const raw = saved.metadata["axon.history"];
  if (raw !== undefined) {
    let history: HistoryEntry[];
    try {
      history = JSON.parse(raw) as HistoryEntry[];
    } catch (e) {
      throw new Error(`${file}: metadata "axon.history" is not valid JSON (${(e as Error).message})`);
    }
    written.push(save(dir, "curves.png", curvesImage(history)));
  } else {
    say("curves.png: skipped (no training history in the file; models saved by axon train have one)");
  }

  // The test split, run through the model once for both the confusion matrix and the mistakes.
  const dataset = values.dataset === undefined ? undefined : choiceOption(values, "dataset", DATASETS, "mnist");
  const d = dataFor(saved.input, { dataset, dataDir: values["data-dir"] as string | undefined });
  const wanted = saved.spec.inputShape.reduce((a, b) => a * b, 1), got = d.inputShape.reduce((a, b) => a * b, 1);
  if (wanted !== got) throw new UsageError(`the model takes inputs of shape [${saved.spec.inputShape.join(", ")}] but ${d.name} has [${d.inputShape.join(", ")}]`);
  const n = Math.min(d.xTest.shape[0], values.limit === undefined ? Infinity : intOption(values, "limit", 1));
  const maxMistakes = intOption(values, "mistakes", 48, 0);
  const classes = saved.input.classes.length > 0 ? saved.input.classes : d.classes;
  const c = Math.max(classes.length, 2);
  const confusion = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  const truth = d.yTest.toTypedArray() as Int32Array;
  const mistakes: Float32Array[] = [], labels: [number, number][] = [];
  const image = d.images && d.inputShape.length >= 2;
  const [h, w] = image ? d.inputShape.slice(-2) : [0, 0];
  for (let i = 0; i < n; i += 250) {
    const m = Math.min(250, n - i);
    const x = d.xTest.narrow(0, i, m).reshape([m, ...saved.spec.inputShape]);
    const predicted = predictedClasses(saved, scores(saved, x));
    const pixels = image && mistakes.length < maxMistakes ? (x.contiguous().toTypedArray() as Float32Array) : null;
    predicted.forEach((p, j) => {
      confusion[truth[i + j]][p]++;
      if (pixels && p !== truth[i + j] && mistakes.length < maxMistakes) {
        mistakes.push(pixels.slice(j * h * w, (j + 1) * h * w));
        labels.push([p, truth[i + j]]);
      }
    });
  }
  written.push(save(dir, "confusion.png", confusionImage(confusion, classes.length >= c ? classes : Array.from({ length: c }, (_, k) => String(k)))));
  if (image) written.push(save(dir, "mistakes.png", mistakesImage(mistakes, h, w, labels)));
  else say("mistakes.png: skipped (the data are not images)");
  const correct = confusion.reduce((a, row, k) => a + row[k], 0);
  say(`Data: ${d.name} test split, ${n.toLocaleString("en-US")} samples, accuracy ${((100 * correct) / n).toFixed(2)}%`);
  if (classes.some((k, i) => k !== String(i))) say(`Classes: ${classes.map((k, i) => `${i} ${k}`).join(", ")}`);
  for (const f of written) say(`Wrote ${f}`);
  return 0;
}
