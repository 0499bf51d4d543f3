// Builds native/check/kernels_check.cc with the kernels and the GEMM driver, using binding.gyp's flags, and runs it.
//
//   node scripts/check-native-arch.mjs              this machine: every kernel table its CPU supports
//   node scripts/check-native-arch.mjs --arm64      the AArch64 build (NEON kernels), cross-compiled and run under
//                                                   qemu: needs Debian's g++-aarch64-linux-gnu and qemu-user
//
// npm run check:arm64 is the second form; CI (.ci/run) installs both packages and runs it. The JavaScript suite
// covers the x86-64 tables through the addon; this is what checks the AArch64 code paths on an x86-64 machine.

import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const arm64 = process.argv.includes("--arm64");
const out = join(ROOT, "build", "check", arm64 ? "arm64" : "host");
mkdirSync(out, { recursive: true });

const cxx = arm64 ? "aarch64-linux-gnu-g++" : process.env.CXX ?? "g++";
// As binding.gyp's target_defaults; the check links statically so that qemu needs no AArch64 C library.
const flags = ["-O3", "-fno-math-errno", "-ffp-contract=off", "-std=gnu++17", "-Wall", "-pthread"];
const x86 = !arm64 && process.arch === "x64";
const units = [
  ["native/kernels_generic.cc", []],
  ...(x86 ? [
    ["native/kernels_avx512.cc", ["-mavx512f", "-mavx512vl", "-mavx512dq", "-mavx512bw", "-mavx2", "-mfma", "-mprefer-vector-width=512"]],
    ["native/kernels_avx2.cc", ["-mavx2", "-mfma"]],
  ] : []),
  ["native/gemm.cc", []],
  ["native/conv.cc", []],  // not called by the check: compiled and linked so that it builds for this target too
  ["native/threadpool.cc", []],
  ["native/check/kernels_check.cc", x86 ? ["-DAXON_HAVE_X86_KERNELS"] : []],
];

function run(command, args) {
  const r = spawnSync(command, args, { cwd: ROOT, stdio: "inherit" });
  if (r.error) {
    const hint = arm64 ? " (on Debian: apt-get install g++-aarch64-linux-gnu qemu-user)" : "";
    console.error(`check-native-arch: cannot run ${command}: ${r.error.message}${hint}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const objects = units.map(([src, extra]) => {
  const obj = join(out, src.replace(/^native\//, "").replace(/[/]/g, "_").replace(/\.cc$/, ".o"));
  run(cxx, [...flags, ...extra, "-c", src, "-o", obj]);
  return obj;
});
// The N-API layer is not linked (the check calls the kernels directly), but it must compile for the target too.
const nodeHeaders = resolve(process.execPath, "..", "..", "include", "node");
const require = createRequire(import.meta.url);
const napiHeaders = require("node-addon-api").include_dir; // relative to the working directory
run(cxx, [...flags, "-DNAPI_VERSION=8", "-DNAPI_DISABLE_CPP_EXCEPTIONS", `-I${nodeHeaders}`, `-I${resolve(napiHeaders)}`,
  "-fsyntax-only", "native/addon.cc"]);
const exe = join(out, "kernels_check");
run(cxx, [...flags, ...(arm64 ? ["-static"] : []), ...objects, "-o", exe]);
console.log(`check-native-arch: ${arm64 ? "AArch64 under qemu" : `this machine (${process.arch})`}`);
run(arm64 ? "qemu-aarch64" : exe, arm64 ? [exe] : []);
