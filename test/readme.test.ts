// The README's example is a test: it runs as written (only the package name is pointed at the source tree).

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

test("the README's ten-line example runs and prints XOR", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, "README has a ```ts example");
  const code = block[1];
  assert.match(code, /from "axon-dl"/);
  const dir = mkdtempSync(path.join(tmpdir(), "axon-readme-"));
  try {
    const file = path.join(dir, "example.ts");
    writeFileSync(file, code.replace(/from "axon-dl"/g, `from ${JSON.stringify(pathToFileURL(path.join(root, "src/index.ts")).href)}`));
    const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), file], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.replace(/\s+/g, ""), "[[0],[1],[1],[0]]");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the README's `npx axon` runs: package.json's bin is built and executable", () => {
  // `npm install` builds dist/ (the prepare script); npx runs the bin file itself, so it needs the execute bit.
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { bin: Record<string, string> };
  assert.deepEqual(Object.keys(pkg.bin), ["axon"]);
  const bin = path.join(root, pkg.bin.axon);
  const r = spawnSync(bin, ["--help"], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.error, undefined, `${bin} could not run (run \`npm run build\`): ${r.error?.message}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /axon train/);
});
