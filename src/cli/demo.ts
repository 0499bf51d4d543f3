// `axon demo perceptron` and `axon demo xor`: the first lesson of the field, run live.

import * as ax from "../index.js";
import { Perceptron, XOR_PROOF } from "../models/perceptron.js";
import { UsageError, parse } from "./args.js";

const HELP = `Usage: axon demo perceptron | xor [--seed N]

  perceptron   a Rosenblatt perceptron learns AND and OR with the perceptron rule, then fails on XOR
  xor          a 2-4-1 network with a tanh hidden layer learns XOR by backpropagation
`;

const INPUTS = [[0, 0], [0, 1], [1, 0], [1, 1]];
const TRUTH = { AND: [0, 0, 0, 1], OR: [0, 1, 1, 1], XOR: [0, 1, 1, 0] } as const;

function say(line = ""): void {
  process.stdout.write(line + "\n");
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { help: { type: "boolean", short: "h" }, seed: { type: "string" } }, "demo");
  if (values.help) { process.stdout.write(HELP); return 0; }
  ax.manualSeed(Number(values.seed ?? 0));
  switch (positionals[0]) {
    case "perceptron": return perceptronDemo();
    case "xor": return xorDemo();
    default: throw new UsageError(`axon demo: choose "perceptron" or "xor"\n\n${HELP}`);
  }
}

function perceptronDemo(): number {
  const x = ax.tensor(INPUTS);
  for (const name of ["AND", "OR", "XOR"] as const) {
    const p = new Perceptron(2);
    const h = p.fit(x, ax.tensor([...TRUTH[name]]), { epochs: 100 });
    const out = p.predict(x).toArray() as number[];
    const w = p.weight.toTypedArray();
    say(`${name}: ${h.converged ? `learned in ${h.mistakes.length} epochs` : `NOT learned: still ${h.mistakes.at(-1)} mistake(s) in epoch ${h.mistakes.length}`}`);
    say(`  weights [${Array.from(w).map((v) => v.toFixed(1)).join(", ")}], threshold ${p.threshold.toFixed(1)}`);
    say(`  mistakes per epoch: ${h.mistakes.slice(0, 12).join(" ")}${h.mistakes.length > 12 ? " ..." : ""}`);
    INPUTS.forEach(([a, b], i) => say(`  ${a} ${name} ${b} = ${out[i]}${out[i] === TRUTH[name][i] ? "" : `   (wrong: should be ${TRUTH[name][i]})`}`));
    say();
  }
  say(XOR_PROOF);
  return 0;
}

function xorDemo(): number {
  const { nn, optim } = ax;
  const x = ax.tensor(INPUTS);
  const y = ax.tensor(TRUTH.XOR.map((v) => [v]));
  const model = new nn.Sequential(new nn.Linear(2, 4), new nn.Tanh(), new nn.Linear(4, 1), new nn.Sigmoid());
  const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
  say("A 2-4-1 network (tanh hidden layer, sigmoid output) trained on XOR with Adam and binary cross-entropy:");
  for (let step = 1; step <= 500; step++) {
    opt.zeroGrad();
    const loss = nn.functional.binaryCrossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    if (step === 1 || step % 100 === 0) say(`  step ${String(step).padStart(3)}  loss ${loss.item().toFixed(4)}`);
  }
  const out = ax.noGrad(() => model.forward(x)).toTypedArray();
  let correct = 0;
  INPUTS.forEach(([a, b], i) => {
    const bit = out[i] > 0.5 ? 1 : 0;
    if (bit === TRUTH.XOR[i]) correct++;
    say(`  ${a} XOR ${b} -> ${out[i].toFixed(3)} -> ${bit}`);
  });
  say(correct === 4 ? "Solved: the hidden layer bends the decision boundary that a single perceptron cannot." : `Only ${correct}/4 right: try another --seed.`);
  return correct === 4 ? 0 : 1;
}
