// The reference backend: every kernel in plain TypeScript. It runs everywhere (Node, browsers, workers) and is
// the living definition of each kernel: faster backends are tested against it.

import type { Backend } from "../backend.js";
import { binary, copy, scatterInto, unary, where } from "./elementwise.js";
import { argReduce, reduce } from "./reduce.js";
import { matmul } from "./matmul.js";
import { gather, indexAdd, indexSelect, scatter, scatterAdd } from "./indexing.js";
import { col2im, conv2d, conv2dBackward, im2col, maxPool2d, maxPool2dBackward } from "./conv.js";
import { adagradStep, adamStep, rmspropStep, sgdStep } from "./optim.js";
import { softmax } from "./softmax.js";
import { cumsum, sort } from "./sort.js";

export const referenceBackend: Backend = {
  name: "reference",
  copy, scatterInto, unary, binary, where, reduce, argReduce, softmax, sort, cumsum, matmul, indexSelect, indexAdd, gather, scatterAdd, scatter,
  conv2d, conv2dBackward, im2col, col2im, maxPool2d, maxPool2dBackward, adamStep, sgdStep, rmspropStep, adagradStep,
};
