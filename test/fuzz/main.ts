/**
 * `npm run fuzz [-- --iterations N --seed N --target NAME[,NAME] --slow-ms N --out DIR]`: runs every parser target with
 * seeded mutations of the seed corpus (seeds.ts) and prints, per target, the inputs run, exceptions outside the
 * WinRMError family, inputs over the time bound and the slowest input. Exits 1 when there is a finding; with --out,
 * each finding's input is written there (JSON) to become a regression test.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fuzzAll, type TargetReport } from "./harness.js";
import { loadSeeds } from "./seeds.js";
import { fuzzTargets } from "./targets.js";

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "10000" },
    seed: { type: "string", default: "1" },
    target: { type: "string" },
    "slow-ms": { type: "string", default: "100" },
    out: { type: "string" },
  },
});

function positive(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

const iterations = positive("iterations", values.iterations);
const seed = positive("seed", values.seed);
const slowMs = positive("slow-ms", values["slow-ms"]);
const seeds = await loadSeeds();
const only = values.target?.split(",").map((t) => t.trim()).filter((t) => t !== "");
const targets = fuzzTargets(seeds).filter((t) => only === undefined || only.includes(t.name));
if (targets.length === 0) {
  console.error(`no target named ${JSON.stringify(values.target)}; targets: ${fuzzTargets(seeds).map((t) => t.name).join(", ")}`);
  process.exit(2);
}
console.log(
  `fuzz: seed ${seed}, ${iterations} inputs per target, slow > ${slowMs} ms; ` +
    `${seeds.xml.length} XML seeds (${seeds.fidelityDir !== undefined ? `recorded Windows traffic from ${seeds.fidelityDir}` : "no recorded traffic found"})`,
);
const started = performance.now();
const reports = fuzzAll(targets, { iterations, seed, slowMs }, (r: TargetReport) => {
  console.log(
    `${r.name.padEnd(22)} inputs ${String(r.inputs).padStart(8)}  exceptions ${String(r.exceptions).padStart(4)}  ` +
      `slow ${String(r.slow).padStart(4)}  slowest ${r.slowestMs.toFixed(2).padStart(8)} ms (${r.slowestLength} chars)  longest input ${r.longestInput}`,
  );
  for (const f of r.findings) {
    const preview = JSON.stringify(f.input.length > 160 ? `${f.input.slice(0, 160)}...` : f.input);
    console.log(`  ${f.kind} at iteration ${f.iteration} (${f.ms.toFixed(1)} ms, ${f.input.length} chars)${f.error ? `: ${f.error}` : ""}\n    ${preview}`);
  }
});
console.log(`fuzz: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const findings = reports.flatMap((r) => r.findings);
if (values.out !== undefined && findings.length > 0) {
  mkdirSync(values.out, { recursive: true });
  findings.forEach((f, i) => writeFileSync(join(values.out as string, `${f.target}-${f.kind}-${i}.json`), JSON.stringify(f, null, 2)));
  console.log(`fuzz: ${findings.length} finding(s) written to ${values.out}`);
}
process.exit(reports.some((r) => r.exceptions > 0 || r.slow > 0) ? 1 : 0);
