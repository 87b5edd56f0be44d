#!/usr/bin/env node
// Makes `pulumi-winrm-proxy` resolvable from the repository root: node_modules/pulumi-winrm-proxy -> .. (a relative
// symlink to this package). Run by `npm ci` / `npm install` (the "prepare" script, after node_modules is rebuilt) and by
// scripts/setup.sh; idempotent.
//
// Why: the example program (examples/fleet, run by the root Pulumi.yaml) imports "pulumi-winrm-proxy" as any user
// program would, and each resource's dynamic provider runs `require("pulumi-winrm-proxy/provider")` in the engine's
// dynamic-provider process, whose module paths start at the project directory (the repository root, where Pulumi.yaml
// is): require-from-string gives the code no file name, so Node's self-reference by package name cannot apply and only
// node_modules lookup from the cwd can find the package. A user's project gets the same entry from `npm install
// pulumi-winrm-proxy`; here the package is the repository itself.
import { lstatSync, readlinkSync, symlinkSync, unlinkSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const link = join(root, "node_modules", "pulumi-winrm-proxy");
const target = "..";

let existing;
try {
  existing = lstatSync(link);
} catch {
  existing = undefined;
}
if (existing?.isSymbolicLink() && readlinkSync(link) === target) process.exit(0);
if (existing !== undefined && !existing.isSymbolicLink()) {
  process.stderr.write(`link-self: ${link} exists and is not a symlink; leaving it (remove it to use this checkout)\n`);
  process.exit(0);
}
mkdirSync(dirname(link), { recursive: true });
if (existing !== undefined) unlinkSync(link);
symlinkSync(target, link, "dir");
