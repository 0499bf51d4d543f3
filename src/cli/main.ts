#!/usr/bin/env node
// The `axon` command. One file per subcommand; this one only dispatches and prints help.

import { UsageError } from "./args.js";
// Node's entry point: registers the native backend when its addon loads (AXON_BACKEND=reference opts out).
import "../index.node.js";

const HELP = `axon: train and run neural networks from the command line

Usage:
  axon train [options]             train a model (default: MLP 784-256-128-10 on the embedded MNIST digits;
                                   --model cnn for a convolutional network)
  axon eval MODEL [options]        accuracy and loss of a saved model on its dataset's test split
  axon predict MODEL INPUT         classify inputs: a CSV or JSON file of rows, or DATASET:INDEX (e.g. mnist:7)
  axon summary MODEL               layers, output shapes and parameter counts of a saved model
  axon viz MODEL [--out DIR]       PNG images: first-layer filters, confusion matrix, mistakes, training curves
  axon demo perceptron             the perceptron learns AND and OR, then fails on XOR, and says why
  axon demo xor                    a two-layer network solves XOR

Run "axon COMMAND --help" for a command's options.
Environment: AXON_BACKEND=native|reference selects the compute backend (default: native when its addon loads).
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case "-h":
    case "--help":
    case "help":
      process.stdout.write(HELP);
      return command === undefined ? 1 : 0;
    case "-v":
    case "--version": {
      const { readFileSync } = await import("node:fs");
      const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
      process.stdout.write(`axon ${pkg.version}\n`);
      return 0;
    }
    case "train": return (await import("./train.js")).run(rest);
    case "eval": return (await import("./eval.js")).run(rest);
    case "predict": return (await import("./predict.js")).run(rest);
    case "summary": return (await import("./summary.js")).run(rest);
    case "viz": return (await import("./viz.js")).run(rest);
    case "demo": return (await import("./demo.js")).run(rest);
    default:
      throw new UsageError(`unknown command "${command}"\n\n${HELP}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    const err = e as Error;
    // Usage and input errors are the user's to fix: print the message, not a stack trace.
    process.stderr.write(`axon: ${err instanceof UsageError || process.env.AXON_DEBUG === undefined ? err.message : err.stack}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
