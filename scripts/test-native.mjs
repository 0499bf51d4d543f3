// The second half of `npm test`: the whole suite again on the native backend, so every kernel it overrides is held
// to the reference's answers. When the addon was not built (no compiler, say), there is no native backend to
// check: say so and pass, since Axon then runs on the reference backend that the first half tested.

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
if (!existsSync(join(ROOT, "build", "Release", "axon_native.node"))) {
  console.log("axon-dl: the native addon is not built (see build/native-build.log), so the suite ran on the reference backend only");
  process.exit(0);
}
const files = readdirSync(join(ROOT, "test")).filter((f) => f.endsWith(".test.ts")).sort().map((f) => join("test", f));
const reporter = process.argv.includes("--spec") ? "spec" : "dot";
const r = spawnSync(process.execPath, ["--import", "tsx", "--import", "./test/setup-backend.ts", "--test", `--test-reporter=${reporter}`, ...files], {
  cwd: ROOT, stdio: "inherit", env: { ...process.env, AXON_BACKEND: "native" },
});
process.exit(r.status ?? 1);
