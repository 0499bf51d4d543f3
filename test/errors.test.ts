// Errors that teach: bad input fails before any kernel runs, with a message that names the op and the shapes,
// dtype, axis or index involved. Each test asserts on the error's class and on the message's content.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as ax from "../src/index.js";

const f = (...shape: number[]) => ax.ones(shape);
const i32 = (values: number[], shape = [values.length]) => ax.tensor(values, { dtype: "int32" }).reshape(shape);

describe("shape errors name the op and both shapes", () => {
  test("binary ops with shapes that do not broadcast", () => {
    assert.throws(() => f(2, 3).add(f(4)), (e: Error) => e instanceof ax.ShapeError && /^add: shapes \[2,3\] and \[4\] cannot be broadcast \(dimension -1: 3 vs 4\)/.test(e.message));
    assert.throws(() => f(2, 3, 4).mul(f(5, 4)), /mul: shapes \[2,3,4\] and \[5,4\] cannot be broadcast \(dimension -2: 3 vs 5\)/);
    assert.throws(() => f(3).sub(f(2, 2)), /sub: shapes \[3\] and \[2,2\]/);
    assert.throws(() => f(3).maximum(f(2)), /maximum: shapes \[3\] and \[2\]/);
    assert.throws(() => f(3).lt(f(2)), /lt: shapes \[3\] and \[2\]/);
    assert.throws(() => ax.where(ax.tensor([true, false]), f(3), 0), /where: shapes \[2\] and \[3\] and \[\] cannot be broadcast/);
  });

  test("matmul with misaligned inner dimensions or batches", () => {
    assert.throws(() => f(3, 4).matmul(f(5, 2)), (e: Error) => e instanceof ax.ShapeError && /^matmul: shapes \[3,4\] and \[5,2\] do not align \(4 != 5\)/.test(e.message));
    assert.throws(() => f(4).matmul(f(3)), /matmul: shapes \[1,4\] and \[3,1\] do not align \(4 != 3\)/);
    assert.throws(() => f(2, 3, 4).matmul(f(3, 4, 2)), /matmul: the batch dimensions of shapes \[2,3,4\] and \[3,4,2\] cannot be broadcast \(\[2\] vs \[3\]\)/);
    assert.throws(() => ax.ones([]).matmul(f(2)), /matmul: both operands need at least 1 dimension, got shapes \[\] and \[2\]/);
  });

  test("reshape and view to a wrong size, view of a non-contiguous tensor", () => {
    assert.throws(() => f(2, 3).reshape([4, 2]), (e: Error) => e instanceof ax.ShapeError && /^reshape: shape \[4,2\] is invalid for input of size 6 \(shape \[2,3\]\)/.test(e.message));
    assert.throws(() => f(2, 3).reshape([4, -1]), /reshape: shape \[4,-1\] is invalid for input of size 6/);
    assert.throws(() => f(2, 3).reshape([-1, -1]), /reshape: only one dimension can be -1, got \[-1,-1\]/);
    assert.throws(() => f(2, 3).view([5]), /reshape: shape \[5\] is invalid for input of size 6/);
    assert.throws(() => f(2, 3).T.view([6]), /view: input of shape \[3,2\] is not contiguous \(strides \[1,3\]\); use reshape\(\) or contiguous\(\)/);
    assert.doesNotThrow(() => f(2, 3).T.reshape([6]));
  });

  test("movement ops with incompatible shapes", () => {
    assert.throws(() => ax.cat([f(2, 3), f(2, 4)], 0), /cat: tensor 1 has shape \[2,4\], which does not match \[2,3\] except in dimension 0/);
    assert.throws(() => ax.cat([]), /cat: expected a non-empty list/);
    assert.throws(() => ax.stack([f(2, 3), f(3, 2)]), /stack: tensor 1 has shape \[3,2\], expected \[2,3\]/);
    assert.throws(() => f(2, 3).expand([4, 3]), /expand: cannot expand shape \[2,3\] to \[4,3\] \(dimension 0: 2 vs 4\)/);
    assert.throws(() => f(2, 3).permute([0]), /permute: got 1 dims \[0\] for a tensor of 2 dimensions \(shape \[2,3\]\)/);
    assert.throws(() => f(2, 3).permute([0, 0]), /permute: dims \[0,0\] repeat a dimension/);
    assert.throws(() => f(5).split([2, 2]), /split: sections \[2,2\] do not add up to 5, the size of dimension 0 \(shape \[5\]\)/);
    assert.throws(() => ax.pad(f(2), [1, 1, 1, 1]), /pad: padding \[1,1,1,1\] must have an even length of at most 2 \* 1, all integers \(input shape \[2\]\)/);
    assert.throws(() => ax.pad(f(3), [-2, -2]), /pad: cropping 4 from dimension 0 of size 3/);
    assert.deepEqual(ax.pad(f(3), [-2, -1]).shape, [0]); // cropping everything leaves an empty tensor, as in PyTorch
    assert.throws(() => ax.pad(f(1, 3), [3, 0], "reflect"), /pad: reflect padding \(3, 0\) must be smaller than dimension 1 of size 3 \(input shape \[1, ?3\]\)/);
    assert.throws(() => ax.pad(f(1, 3), [0, 4], "circular"), /pad: circular padding \(0, 4\) must be at most dimension 1 of size 3/);
    assert.throws(() => ax.pad(f(3), [1, 1], "replicate"), /pad: replicate padding pads at most the last 3 dims and needs a leading batch or channel dim/);
    assert.throws(() => ax.pad(f(2, 3), [-1, 1], "reflect"), /pad: reflect padding must be non-negative/);
    assert.throws(() => ax.pad(f(2, 3), [1, 1], "wrap" as never), /pad: mode must be "constant", "reflect", "replicate" or "circular", got "wrap"/);
    assert.throws(() => f(3, 4).gather(0, i32([0, 1])), /gather: index must have as many dimensions as the input \(2\), got index shape \[2\] for input \[3,4\]/);
    assert.throws(() => f(3, 4).scatterAdd(0, i32([0, 1], [1, 2]), f(1, 1)), /scatterAdd: src shape \[1,1\] must cover index shape \[1,2\]/);
  });
});

describe("dtype errors name the op and the dtype", () => {
  test("float indices are refused", () => {
    assert.throws(() => f(3, 4).indexSelect(0, ax.tensor([0, 1])), (e: Error) => e instanceof TypeError && /^indexSelect: index must be an int32 tensor, got float32 \(shape \[2\]\)/.test(e.message));
    assert.throws(() => f(3, 4).gather(1, ax.tensor([[0, 1]])), /gather: index must be an int32 tensor, got float32/);
    assert.throws(() => ax.oneHot(ax.tensor([0, 1])), /oneHot: index must be an int32 tensor, got float32/);
  });

  test("ops that need floating point", () => {
    assert.throws(() => ax.ones([3], { dtype: "int32" }).mean(), (e: Error) => e instanceof TypeError && /^mean: input dtype must be floating point, got int32/.test(e.message));
    assert.throws(() => ax.ones([2, 2], { dtype: "bool" }).matmul(ax.ones([2, 2], { dtype: "bool" })), /matmul: expected numeric operands, got bool and bool/);
    assert.throws(() => ax.ones([2], { dtype: "int32", requiresGrad: true }), /requiresGrad: only floating-point tensors can require gradients \(this one is int32\)/);
    assert.throws(() => ax.rand([2], { dtype: "int32" }), /rand: dtype must be floating point, got int32/);
    assert.throws(() => ax.gradcheck((a) => a, [ax.ones([2], { requiresGrad: true })]), /gradcheck: inputs must be float64 .* got float32 \(shape \[2\]\)/);
  });

  test("bool arithmetic that PyTorch refuses, and unknown dtypes", () => {
    assert.throws(() => ax.tensor([true]).neg(), /neg: negation of a bool tensor is not supported; use logicalNot/);
    assert.throws(() => ax.tensor([true]).sub(ax.tensor([false])), /sub: subtracting bool tensors is not supported/);
    assert.throws(() => ax.zeros([2], { dtype: "int64" as never }), /zeros: unknown dtype "int64" \(expected one of bool, int32, float32, float64\)/);
  });
});

describe("axis errors name the op, the axis and the valid range", () => {
  test("out-of-range and repeated axes", () => {
    assert.throws(() => f(2, 3).sum(2), (e: Error) => e instanceof RangeError && /^sum: dimension 2 is out of range for a tensor of 2 dimensions \(expected -2 to 1\)/.test(e.message));
    assert.throws(() => f(2, 3).softmax(-3), /softmax: dimension -3 is out of range for a tensor of 2 dimensions \(expected -2 to 1\)/);
    assert.throws(() => f(2, 3).transpose(0, 5), /transpose: dimension 5 is out of range/);
    assert.throws(() => f(2, 3).max([0, 3]), /max: dimension 3 is out of range/);
    assert.throws(() => f(2, 3).argmax(2), /argmax: dimension 2 is out of range/);
    assert.throws(() => f(2, 3).unsqueeze(4), /unsqueeze: dimension 4 is out of range for a tensor of 3 dimensions \(expected -3 to 2\)/);
    assert.throws(() => ax.cat([f(2), f(2)], 1), /cat: dimension 1 is out of range for a tensor of 1 dimension \(expected -1 to 0\)/);
    assert.throws(() => f(2, 3).sum([0, -2]), /sum: dimension repeated in \[0,-2\]/);
    assert.throws(() => f(2, 3).var(1.5), /var: dimension 1.5 is out of range/);
    assert.throws(() => f(2, 3).size(-3), /size: dimension -3 is out of range for a tensor of 2 dimensions/);
  });
});

describe("the shape rules of repeat, maskedFill, tril/triu, mm/bmm/outer and norm", () => {
  test("each names the op and the shapes it got", () => {
    assert.throws(() => f(2, 3).repeat([2]), /repeat: 1 repeat counts for a tensor of 2 dimensions \(shape \[2,3\]\)/);
    assert.throws(() => f(2, 3).repeat([2, -1]), /repeat: counts must be non-negative integers, got \[2,-1\]/);
    assert.throws(() => f(3).maskedFill(ax.tensor([true, false]), 0), /maskedFill: shapes \[2\] and \[3\] cannot be broadcast/);
    assert.throws(() => ax.tensor([1, 2], { dtype: "int32" }).maskedFill(ax.tensor([true, false]), NaN), /maskedFill: NaN cannot be stored in an int32 tensor/);
    assert.throws(() => ax.pow(ax.tensor([2], { dtype: "int32" }), -1), /pow: integers cannot be raised to negative integer powers/);
    assert.throws(() => ax.topk(ax.tensor(3.5), 0), /topk: k = 0 on a 0-d tensor/);
    assert.throws(() => ax.chunk(ax.tensor(1), 2), /chunk: a 0-d tensor has no dimension to chunk/);
    assert.throws(() => ax.split(ax.tensor(1), 1), /split: a 0-d tensor has no dimension to split/);
    assert.throws(() => f(3).maskedFill(f(3), 0), /maskedFill: mask must be a bool tensor, got float32/);
    assert.throws(() => f(3).tril(), /tril: expected a tensor of at least 2 dimensions, got shape \[3\]/);
    assert.throws(() => f(2, 3).mm(f(3)), /mm: expected two 2-D tensors, got shapes \[2,3\] and \[3\]/);
    assert.throws(() => f(2, 3, 4).bmm(f(3, 4, 2)), /bmm: batch sizes differ: shapes \[2,3,4\] and \[3,4,2\]/);
    assert.throws(() => f(2, 3).outer(f(3)), /outer: expected two 1-D tensors, got shapes \[2,3\] and \[3\]/);
    assert.throws(() => ax.tensor([1, 2], { dtype: "int32" }).norm(), /norm: input must be floating point, got int32/);
    assert.throws(() => f(2).unbind(1), /unbind: dimension 1 is out of range/);
  });
});

describe("index errors name the op, the index and the size it must fit", () => {
  test("out-of-range indices", () => {
    assert.throws(() => f(3, 4).indexSelect(0, i32([0, 3])), (e: Error) => e instanceof RangeError && /^indexSelect: index 3 is out of range for dimension 0 of size 3 \(input shape \[3,4\]\)/.test(e.message));
    assert.throws(() => f(3, 4).gather(1, i32([0, -1], [1, 2])), /gather: index -1 is out of range for dimension 1 of size 4 \(input shape \[3,4\]\)/);
    assert.throws(() => f(3, 4).scatterAdd(0, i32([5], [1, 1]), f(1, 1)), /scatterAdd: index 5 is out of range for dimension 0 of size 3/);
    assert.throws(() => ax.oneHot(i32([0, 5]), 3), /oneHot: index 5 is out of range for 3 classes/);
    assert.throws(() => f(3, 4).select(1, 4), /select: index 4 is out of range for dimension 1 of size 4 \(shape \[3,4\]\)/);
    assert.throws(() => f(3, 4).narrow(1, 2, 3), /narrow: start 2 and length 3 do not fit dimension 1 of size 4 \(shape \[3,4\]\)/);
    assert.throws(() => f(3).slice(0, 0, 3, 0), /slice: step must be a positive integer, got 0/);
  });
});

describe("autograd and read-out errors", () => {
  test("backward on a non-scalar without a gradient, with a wrong-shaped one, or with nothing to differentiate", () => {
    const y = ax.ones([2, 3], { requiresGrad: true }).mul(2);
    assert.throws(() => y.backward(), /backward: a gradient can be created implicitly only for a scalar output, but the output has shape \[2,3\]/);
    assert.throws(() => y.backward(f(3)), /backward: gradient of shape \[3\] does not match the output's shape \[2,3\]/);
    assert.throws(() => f(2).sum().backward(), /backward: the tensor does not require grad/);
  });

  test("empty reductions", () => {
    assert.throws(() => ax.zeros([0, 3]).max(), /max: cannot reduce over an empty dimension \(input shape \[0,3\], dims \[0,1\]\)/);
    assert.throws(() => ax.zeros([2, 0]).min(1), /min: cannot reduce over an empty dimension \(input shape \[2,0\], dims \[1\]\)/);
    assert.throws(() => ax.zeros([0]).argmax(), /argmax: cannot take argmax of an empty tensor \(shape \[0\]\)/);
    assert.equal(ax.zeros([0, 3]).sum().item(), 0); // an empty sum is fine: 0
  });

  test("in-place writes on tensors autograd tracks, item() on many elements, ragged data", () => {
    assert.throws(() => ax.ones([2], { requiresGrad: true }).add_(1), /add_: a tensor that requires grad cannot be modified in place while autograd is recording/);
    assert.throws(() => f(2).item(), /item: a tensor with 2 elements \(shape \[2\]\) cannot be converted to a number/);
    assert.throws(() => ax.tensor([[1, 2], [3]]), (e: Error) => e instanceof ax.ShapeError && /^tensor: ragged nested array: element \[1\] has length 1 where length 2 was expected/.test(e.message));
    assert.throws(() => ax.setBackend("nope"), /setBackend: no backend named "nope" \(available: reference/);
  });
});
