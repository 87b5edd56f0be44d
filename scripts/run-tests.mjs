#!/usr/bin/env node
// Runs every compiled *.test.js under dist/test with node's own test runner.
// (Handing node --test the directory would also pick up every module under a "test" folder, such as the emulator.)
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = collect("dist/test", []).sort();
if (filter.length > 0) files = files.filter((f) => filter.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-timeout=180000", ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
