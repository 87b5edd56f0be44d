/**
 * The checked-in SDK types (sdk/src/generated) are what `npm run gen:sdk` writes from the zod schemas now: a schema
 * change (a new field, a changed `.describe()` text, a new default) without regenerating fails here, naming the file
 * and the first line that differs. Every input, at every depth, has a description.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { allFields, type ObjectModel } from "../../provider/src/schema/model.js";
import { resourceModels, type ResourceModel } from "../../provider/src/schema/resources.js";
import { GENERATED_DIR, sdkFiles } from "../../provider/src/schema/typescript.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** The differences between the generated files and the checked-in directory, one message each. */
function staleness(expected: Map<string, string>): string[] {
  const dir = join(root, GENERATED_DIR);
  const present = new Set(readdirSync(dir));
  const problems: string[] = [];
  for (const [name, text] of expected) {
    if (!present.has(name)) {
      problems.push(`${GENERATED_DIR}/${name} is missing`);
      continue;
    }
    const lines = readFileSync(join(dir, name), "utf8").split("\n");
    const want = text.split("\n");
    const at = want.findIndex((l, i) => lines[i] !== l);
    if (at >= 0 || lines.length !== want.length) {
      const n = at >= 0 ? at : Math.min(lines.length, want.length);
      problems.push(`${GENERATED_DIR}/${name}:${n + 1} is stale: has ${JSON.stringify(lines[n] ?? "")}, generates ${JSON.stringify(want[n] ?? "")}`);
    }
  }
  for (const name of present) if (!expected.has(name)) problems.push(`${GENERATED_DIR}/${name} has no source any more`);
  return problems;
}

const FIX = "run `npm run gen:sdk` and commit sdk/src/generated";

test("sdk/src/generated is what the zod schemas generate now", () => {
  assert.deepEqual(staleness(sdkFiles()), [], FIX);
});

test("a schema change without regeneration is caught, in the file of the resource that changed", () => {
  const models = resourceModels();
  const changed = (r: ResourceModel, extra: ObjectModel["fields"][number]): ResourceModel => ({
    ...r,
    inputs: { ...r.inputs, fields: [...r.inputs.fields, extra] },
  });
  const withNewInput = models.map((r) =>
    r.name === "RemoteCommand"
      ? changed(r, {
          name: "workingDirectory",
          path: "workingDirectory",
          type: { kind: "string" },
          optional: true,
          default: undefined,
          description: "A new input.",
          secret: false,
        })
      : r,
  );
  const problems = staleness(sdkFiles(withNewInput));
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0] ?? "", /^sdk\/src\/generated\/remoteCommand\.ts:\d+ is stale/);

  // A changed description of a connection field shows in the connection's file.
  const relabelled = sdkFiles(models);
  relabelled.set("connection.ts", (relabelled.get("connection.ts") ?? "").replace("http(s)://host:port/wsman.", "Another text."));
  assert.match(staleness(relabelled).join("\n"), /^sdk\/src\/generated\/connection\.ts:\d+ is stale/);
});

test("every input of every resource, at every depth, has a description (the generator refuses one without)", () => {
  const undocumented = resourceModels().flatMap((r) => allFields(r.inputs).filter((f) => f.description === undefined).map((f) => `${r.name}.${f.path}`));
  assert.deepEqual(undocumented, []);
  const [r] = resourceModels();
  assert.ok(r !== undefined);
  const bare = { ...r, inputs: { ...r.inputs, fields: [{ ...(r.inputs.fields[0] as ObjectModel["fields"][number]), description: undefined }] } };
  assert.throws(() => sdkFiles([bare]), /connection: has no \.describe\(\) text/);
});

test("every output has a description, and the outputs the classes register are the generated ones", async () => {
  for (const r of resourceModels()) {
    for (const o of r.outputs) assert.notEqual(o.description.trim(), "", `${r.name}.${o.name}`);
  }
  const generated = await import("../../sdk/src/generated/remoteCommand.js");
  const model = resourceModels().find((r) => r.name === "RemoteCommand");
  assert.deepEqual([...generated.remoteCommandOutputNames], model?.outputs.map((o) => o.name));
});
