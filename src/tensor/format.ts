// PyTorch-like printing: tensor([[ 1.0000, -2.5000], ...]) with the dtype named when it is not the default.

import type { Tensor } from "./tensor.js";

export function formatTensor(t: Tensor): string {
  const values = t.toArray();
  const flat: number[] = [];
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else flat.push(Number(v));
  };
  collect(values);
  const float = t.dtype === "float32" || t.dtype === "float64";
  const allIntegral = flat.every((v) => Number.isInteger(v));
  const fmtOne = (v: number | boolean): string => {
    if (typeof v === "boolean") return v ? "True" : "False";
    if (!float) return String(v);
    if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
    if (allIntegral && Math.abs(v) < 1e8) return `${v}.`;
    const a = Math.abs(v);
    return a !== 0 && (a >= 1e8 || a < 1e-4) ? v.toExponential(4) : v.toFixed(4);
  };
  const strs = flat.map((v, i) => (t.dtype === "bool" ? fmtOne(v !== 0) : fmtOne(flat[i])));
  const width = Math.max(1, ...strs.map((s) => s.length));
  let i = 0;
  const render = (v: unknown, depth: number): string => {
    if (!Array.isArray(v)) return strs[i++].padStart(width);
    const inner = v.map((x) => render(x, depth + 1));
    const sep = depth === t.ndim - 1 ? ", " : `,${"\n".repeat(t.ndim - 1 - depth)}${" ".repeat(8 + depth)}`;
    return `[${inner.join(sep)}]`;
  };
  const body = t.ndim === 0 ? strs[0].trim() : render(values, 0);
  const extras: string[] = [];
  if (t.numel() === 0) extras.push(`size=[${t.shape.join(", ")}]`);
  if (t.dtype !== "float32" && !(t.dtype === "bool")) extras.push(`dtype=${t.dtype}`);
  if (t.gradFn) extras.push(`gradFn=${t.gradFn.name}`);
  else if (t.requiresGrad) extras.push("requiresGrad=true");
  return `tensor(${body}${extras.length ? ", " + extras.join(", ") : ""})`;
}
