// Builds Axon's native backend (binding.gyp -> build/Release/axon_native.node). Run by npm as the package's
// "install" script, and by hand with `npm run install`.
//
// This script never fails an install: Axon is complete without the addon (the reference backend runs every
// kernel), so on any problem it prints one line, leaves the full log in build/native-build.log, and exits 0.
// It never touches the network: node-gyp gets --nodedir pointing at the headers of the Node that runs this
// script, and the script gives up (rather than letting node-gyp download headers) if they are not there.
//
//   AXON_SKIP_NATIVE=1   skip the build entirely
//   AXON_NATIVE_JOBS=n   parallel compile jobs (default: the number of cores)

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const LOG = join(ROOT, "build", "native-build.log");
const say = (msg) => console.log(`axon-dl: ${msg}`);

function giveUp(reason, log) {
  try {
    mkdirSync(dirname(LOG), { recursive: true });
    writeFileSync(LOG, `${reason}\n\n${log ?? ""}`);
  } catch { /* a read-only install directory: the one line below is all we can leave */ }
  say(`native backend not built (${reason}); Axon will use its reference backend. Log: ${LOG}`);
  process.exit(0);
}

/** node-gyp as shipped inside npm (npm_execpath points at npm-cli.js), else next to this Node, else a local one. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  const prefix = dirname(dirname(process.execPath));
  candidates.push(join(prefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  candidates.push(join(prefix, "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js")); // Windows layout
  try { candidates.push(createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js")); } catch { /* not installed */ }
  return candidates.find((p) => existsSync(p));
}

function main() {
  if (process.env.AXON_SKIP_NATIVE && process.env.AXON_SKIP_NATIVE !== "0") {
    say("AXON_SKIP_NATIVE is set: native backend not built; Axon will use its reference backend");
    return;
  }
  if (!existsSync(join(ROOT, "binding.gyp"))) giveUp("binding.gyp is missing from this install");
  try {
    createRequire(join(ROOT, "package.json")).resolve("node-addon-api");
  } catch {
    giveUp("the node-addon-api package is not installed");
  }
  // The headers of the running Node: <prefix>/include/node/node_api.h in both official and distro builds.
  const nodedir = dirname(dirname(process.execPath));
  if (!existsSync(join(nodedir, "include", "node", "node_api.h"))) giveUp(`no Node headers under ${nodedir}/include/node`);
  const gyp = findNodeGyp();
  if (!gyp) giveUp("node-gyp was not found (it ships with npm)");

  const jobs = process.env.AXON_NATIVE_JOBS || String(Math.max(1, cpus().length));
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [gyp, "rebuild", `--nodedir=${nodedir}`, `--jobs=${jobs}`], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 15 * 60 * 1000,
    // No surprise downloads and no user-level gyp settings that point elsewhere.
    env: { ...process.env, npm_config_nodedir: nodedir, npm_config_tarball: "", npm_config_dist_url: "" },
  });
  const log = `${gyp} rebuild --nodedir=${nodedir}\n\n${r.stdout ?? ""}\n${r.stderr ?? ""}`;
  if (r.error) giveUp(`node-gyp could not run: ${r.error.message}`, log);
  if (r.status !== 0) {
    const firstError = `${r.stderr}\n${r.stdout}`.split("\n").find((l) => /error/i.test(l))?.trim().slice(0, 160);
    giveUp(`node-gyp exited with ${r.status}${firstError ? `: ${firstError}` : ""}`, log);
  }
  mkdirSync(dirname(LOG), { recursive: true });
  writeFileSync(LOG, log);
  say(`native backend built in ${((Date.now() - t0) / 1000).toFixed(0)} s (build/Release/axon_native.node)`);
}

try {
  main();
} catch (e) {
  giveUp(`unexpected error: ${e instanceof Error ? e.message : String(e)}`);
}
