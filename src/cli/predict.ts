// `axon predict MODEL INPUT`: classifies inputs with a saved model and prints the top classes with probabilities.
// INPUT is DATASET:INDEX (test-split images, e.g. mnist:7 or mnist:0-9), a CSV file of feature rows, or a JSON
// file holding one row or a list of rows (each row a flat list of numbers, or nested in the model's input shape).

import { existsSync, readFileSync } from "node:fs";
import { tensor, type Tensor } from "../index.js";
import { readCsv } from "../node.js";
import { parse, intOption, UsageError, type Options } from "./args.js";
import { DATASETS, dataFor, type DatasetName } from "./datasets.js";
import { openModel, predictedClasses, probabilities, scores } from "./common.js";

const HELP = `Usage: axon predict MODEL INPUT [options]

INPUT:
  mnist:7, mnist:0-9          images of the test split of a dataset (${DATASETS.filter((d) => d !== "csv").join(", ")}) by index or range
  rows.csv                    a CSV file with one sample per row (a header row is allowed)
  rows.json                   a JSON list of numbers (one sample) or a list of such lists
Options:
  --top 3                     how many classes to show per sample
  --data-dir DIR              fashion-mnist: directory of IDX files
  --json                      print JSON
`;

const OPTIONS: Options = { help: { type: "boolean", short: "h" }, top: { type: "string" }, "data-dir": { type: "string" }, json: { type: "boolean" } };

interface Inputs { x: Tensor; labels: (number | null)[]; names: string[] }

function fromDataset(spec: string, dataDir: string | undefined, saved: ReturnType<typeof openModel>): Inputs | null {
  const m = /^([a-z-]+):(\d+)(?:-(\d+))?$/.exec(spec);
  if (!m || !DATASETS.includes(m[1] as DatasetName) || m[1] === "csv") return null;
  const d = dataFor(saved.input, { dataset: m[1] as DatasetName, dataDir });
  const n = d.xTest.shape[0];
  const from = Number(m[2]), to = m[3] === undefined ? from : Number(m[3]);
  if (from > to || to >= n) throw new UsageError(`${spec}: the ${d.name} test split has indices 0 to ${n - 1}`);
  const x = d.xTest.narrow(0, from, to - from + 1);
  const y = Array.from(d.yTest.narrow(0, from, to - from + 1).toTypedArray() as Int32Array);
  return { x, labels: y, names: y.map((_, i) => `${d.name}:${from + i}`) };
}

function fromFile(file: string, inputSize: number, saved: ReturnType<typeof openModel>): Inputs {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file (INPUT is DATASET:INDEX like mnist:7, a .csv or a .json file)`);
  let rows: number[][];
  if (/\.json$/i.test(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
    const list = Array.isArray(parsed) && parsed.length > 0 && Array.isArray(parsed[0]) && flat(parsed[0]).length === inputSize ? parsed : [parsed];
    rows = list.map((r, i) => {
      const values = flat(r);
      if (values.some((v) => typeof v !== "number" || !Number.isFinite(v))) throw new UsageError(`${file}: sample ${i} holds something that is not a finite number`);
      return values;
    });
  } else {
    // A table with one column more than the model's inputs holds labels too (the training table, say): show them.
    const firstLine = readFileSync(file, "utf8").split(/\r?\n/, 1)[0];
    if (firstLine.split(",").length === inputSize + 1) {
      const raw = saved.input.source?.labelColumn ?? "-1";
      const table = readCsv(file, { labelColumn: /^-?\d+$/.test(raw) ? Number(raw) : raw });
      rows = table.features.toArray() as number[][];
      const ids = Array.from(table.labels!.toTypedArray(), Number);
      const labels = table.classes ? ids.map((k) => saved.input.classes.indexOf(table.classes![k])) : ids;
      return { x: tensor(rows), labels: labels.map((k) => (k >= 0 ? k : null)), names: rows.map((_, i) => `${file}#${i + 1}`) };
    }
    rows = readCsv(file, {}).features.toArray() as number[][];
  }
  rows.forEach((r, i) => {
    if (r.length !== inputSize) throw new UsageError(`${file}: sample ${i + 1} has ${r.length} values but the model takes ${inputSize}`);
  });
  return { x: tensor(rows), labels: rows.map(() => null), names: rows.map((_, i) => `${file}#${i + 1}`) };
}

/** A digit as text, two characters per pixel, so a learner sees what the model saw. */
function picture(x: Tensor): string {
  const [h, w] = x.shape.slice(-2);
  const v = x.reshape([h, w]).toArray() as number[][];
  const lo = Math.min(...v.flat()), hi = Math.max(...v.flat());
  const ramp = " .:-=+*#%@";
  const lines = v.map((row) => row.map((p) => ramp[Math.min(ramp.length - 1, Math.floor(((p - lo) / (hi - lo || 1)) * ramp.length))].repeat(2)).join("").trimEnd());
  const first = lines.findIndex((l) => l !== "");
  let last = lines.length - 1;
  while (last > first && lines[last] === "") last--;
  return first < 0 ? "(blank image)" : lines.slice(first, last + 1).join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, "predict");
  if (values.help) { process.stdout.write(HELP); return 0; }
  const saved = openModel(positionals[0], "predict");
  if (positionals[1] === undefined) throw new UsageError(`axon predict ${positionals[0]} needs INPUT: DATASET:INDEX (e.g. ${saved.input.dataset}:0), a .csv or a .json file`);
  const inputSize = saved.spec.inputShape.reduce((a, b) => a * b, 1);
  const inputs = fromDataset(positionals[1], values["data-dir"] as string | undefined, saved) ?? fromFile(positionals[1], inputSize, saved);
  const x = inputs.x.reshape([inputs.x.shape[0], ...saved.spec.inputShape]);
  const top = intOption(values, "top", 3);
  const s = scores(saved, x);
  const predicted = predictedClasses(saved, s);
  const probs = probabilities(saved, s);
  const classes = saved.input.classes;
  const name = (k: number) => classes[k] ?? String(k);
  const results = inputs.names.map((sample, i) => {
    const p = probs ? Array.from(probs.select(0, i).toTypedArray()) : null;
    const ranked = p ? p.map((v, k) => [k, v] as const).sort((a, b) => b[1] - a[1]).slice(0, top) : [];
    return {
      sample, predicted: predicted[i], class: name(predicted[i]),
      ...(p ? { top: ranked.map(([k, v]) => ({ class: name(k), probability: v })) } : {}),
      ...(inputs.labels[i] !== null ? { truth: name(inputs.labels[i]!), correct: inputs.labels[i] === predicted[i] } : {}),
    };
  });
  if (values.json) { process.stdout.write(JSON.stringify(results, null, 2) + "\n"); return 0; }
  const lines: string[] = [];
  if (results.length === 1 && x.ndim >= 3 && x.shape[x.ndim - 1] > 1) lines.push(picture(x.select(0, 0)), "");
  for (const r of results) {
    const tops = r.top ? "  " + r.top.map((t) => `${t.class} ${(100 * t.probability).toFixed(1)}%`).join(", ") : "";
    const truth = r.truth === undefined ? "" : r.correct ? `  (right: ${r.truth})` : `  (WRONG: it is ${r.truth})`;
    lines.push(`${r.sample}: ${r.class}${truth}${tops}`);
  }
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}
