#!/usr/bin/env node
// Writes sdk/src/generated/*.ts from the zod schemas (provider/src/schema/typescript.ts does the work). Run through
// `npm run gen:sdk`, which first compiles the provider alone (tsconfig.gen.json). Removes generated files that no
// longer have a source, so the directory holds exactly what the generator returns.
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { GENERATED_DIR, sdkFiles } = await import(join(root, "dist/provider/src/schema/typescript.js"));
const dir = join(root, GENERATED_DIR);
mkdirSync(dir, { recursive: true });
const files = sdkFiles();
for (const name of readdirSync(dir)) {
  if (!files.has(name)) {
    unlinkSync(join(dir, name));
    console.log(`removed ${GENERATED_DIR}/${name}`);
  }
}
for (const [name, text] of files) {
  const path = join(dir, name);
  let old;
  try {
    old = readFileSync(path, "utf8");
  } catch {
    old = undefined;
  }
  if (old === text) continue;
  writeFileSync(path, text);
  console.log(`wrote ${GENERATED_DIR}/${name}`);
}
