// `axon summary MODEL`: what a saved model is: its architecture, layers with output shapes and parameter counts,
// the data it expects and the metrics measured when it was saved.

import { summary, type nn } from "../index.js";
import { parse, type Options } from "./args.js";
import { openModel } from "./common.js";
import { describeSpec } from "../models/zoo.js";

const HELP = `Usage: axon summary MODEL

Prints a saved model's architecture, each layer's output shape and parameter count, its input description and the
metrics recorded when it was saved.
`;

const OPTIONS: Options = { help: { type: "boolean", short: "h" } };

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, "summary");
  if (values.help) { process.stdout.write(HELP); return 0; }
  const saved = openModel(positionals[0], "summary");
  const lines = [`Model: ${describeSpec(saved.spec)}`];
  if (saved.spec.kind !== "perceptron") {
    lines.push(summary(saved.model as nn.Module, saved.spec.inputShape).text);
  } else {
    const n = saved.spec.inputShape.reduce((a, b) => a * b, 1);
    lines.push(`Input shape: [-1, ${saved.spec.inputShape.join(", ")}] (flattened to ${n})`, `weight [${saved.spec.outputs}, ${n}], bias [${saved.spec.outputs}]: ${((n + 1) * saved.spec.outputs).toLocaleString("en-US")} parameters`);
  }
  const { input, metrics } = saved;
  lines.push("", `Trained on: ${input.dataset}${input.classes.length ? `, ${input.classes.length} classes (${input.classes.slice(0, 10).join(", ")}${input.classes.length > 10 ? ", ..." : ""})` : ""}`);
  if (input.normalize) {
    const show = (v: number | number[]) => (typeof v === "number" ? v.toFixed(4) : `${v.length} per-column values`);
    lines.push(`Inputs normalised as (x - ${show(input.normalize.mean)}) / ${show(input.normalize.std)}`);
  }
  const entries = Object.entries(metrics);
  if (entries.length) lines.push(`Metrics: ${entries.map(([k, v]) => `${k} ${k.toLowerCase().includes("accuracy") ? `${(100 * v).toFixed(2)}%` : Number.isInteger(v) ? v : v.toFixed(4)}`).join(", ")}`);
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}
