// `axon eval MODEL`: accuracy, loss, per-class accuracy and the confusion matrix of a saved model on the test split
// of the data it was trained on (or another dataset of the same shape).

import { nn, tensor, type Tensor } from "../index.js";
import { parse, choiceOption, UsageError, type Options } from "./args.js";
import { DATASETS, dataFor } from "./datasets.js";
import { openModel, predictedClasses, scores } from "./common.js";
import { describeSpec } from "../models/zoo.js";

const HELP = `Usage: axon eval MODEL [options]

Evaluates a model saved by axon train on the test split of its dataset.
  --dataset NAME      evaluate on another dataset (${DATASETS.join(", ")}) with the same input shape
  --data-dir DIR      fashion-mnist: directory of IDX files
  --csv FILE          csv: the table to evaluate on (all rows)
  --json              print the results as JSON
`;

const OPTIONS: Options = {
  help: { type: "boolean", short: "h" }, dataset: { type: "string" }, "data-dir": { type: "string" },
  csv: { type: "string" }, json: { type: "boolean" },
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, "eval");
  if (values.help) { process.stdout.write(HELP); return 0; }
  const saved = openModel(positionals[0], "eval");
  const dataset = values.dataset === undefined ? undefined : choiceOption(values, "dataset", DATASETS, "mnist");
  const csv = values.csv as string | undefined;
  // A CSV given here is evaluated whole: it is the test table.
  const d = dataFor(saved.input, { dataset, dataDir: values["data-dir"] as string | undefined, ...(csv ? { csv, testCsv: csv } : {}) });
  const wanted = saved.spec.inputShape.reduce((a, b) => a * b, 1), got = d.inputShape.reduce((a, b) => a * b, 1);
  if (wanted !== got) throw new UsageError(`the model takes inputs of shape [${saved.spec.inputShape.join(", ")}] but ${d.name} has [${d.inputShape.join(", ")}]`);

  const n = d.xTest.shape[0];
  const classes = saved.input.classes.length > 0 ? saved.input.classes : d.classes;
  const c = Math.max(classes.length, 2);
  const confusion = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  let lossSum = 0;
  const truth = d.yTest.toTypedArray() as Int32Array;
  // A convolution's im2col matrix grows with the batch (vgg: ~0.9 GB for 1,000 images), so CNNs get smaller chunks.
  const chunk = saved.spec.kind === "cnn" ? 250 : 1000;
  for (let i = 0; i < n; i += chunk) {
    const m = Math.min(chunk, n - i);
    const s = scores(saved, d.xTest.narrow(0, i, m));
    const y = d.yTest.narrow(0, i, m);
    if (saved.spec.kind !== "perceptron") lossSum += lossOf(s, y).item() * m;
    predictedClasses(saved, s).forEach((p, j) => { confusion[truth[i + j]][p]++; });
  }
  const correct = confusion.reduce((acc, row, k) => acc + row[k], 0);
  const result = {
    model: describeSpec(saved.spec), dataset: d.name, samples: n, accuracy: correct / n,
    ...(saved.spec.kind !== "perceptron" ? { loss: lossSum / n } : {}),
    perClass: Object.fromEntries(confusion.map((row, k) => [classes[k] ?? String(k), row[k] / Math.max(1, row.reduce((a, b) => a + b, 0))])),
    confusion,
  };
  if (values.json) { process.stdout.write(JSON.stringify(result, null, 2) + "\n"); return 0; }
  const out: string[] = [];
  out.push(`Model: ${result.model}`);
  out.push(`Data: ${d.name} test split, ${n.toLocaleString("en-US")} samples`);
  out.push(`Accuracy: ${(100 * result.accuracy).toFixed(2)}% (${correct}/${n})${result.loss !== undefined ? `, loss ${result.loss.toFixed(4)}` : ""}`);
  out.push("", "Per class:");
  const width = Math.max(...classes.map((k) => k.length), 5);
  confusion.forEach((row, k) => {
    const total = row.reduce((a, b) => a + b, 0);
    out.push(`  ${(classes[k] ?? String(k)).padEnd(width)}  ${total ? ((100 * row[k]) / total).toFixed(1).padStart(5) : "    -"}%  (${row[k]}/${total})`);
  });
  out.push("", "Confusion matrix (rows: true class, columns: predicted):");
  const cell = Math.max(4, String(n).length + 1);
  out.push(" ".repeat(width + 2) + confusion.map((_, k) => String(k).padStart(cell)).join(""));
  confusion.forEach((row, k) => out.push(`  ${(classes[k] ?? String(k)).padEnd(width)}${row.map((v) => String(v).padStart(cell)).join("")}`));
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}

function lossOf(s: Tensor, y: Tensor): Tensor {
  return s.shape[1] === 1
    ? nn.functional.binaryCrossEntropyWithLogits(s.reshape([-1]), y.float())
    : nn.functional.crossEntropy(s, y.dtype === "int32" ? y : tensor(Array.from(y.toTypedArray()), { dtype: "int32" }));
}
