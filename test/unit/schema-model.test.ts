/**
 * The zod walker (provider/src/schema/model.ts) on every construct, and the args it emits (schema/typescript.ts)
 * type-checked by the TypeScript compiler against the schema's own z.input.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { z } from "zod";
import { allFields, objectModel, objectModels, SchemaModelError, type FieldModel } from "../../provider/src/schema/model.js";
import { argsDeclarations, sdkFiles } from "../../provider/src/schema/typescript.js";
import { probeSchema, sharedProbe } from "./schemaModelProbe.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const model = objectModel(probeSchema, "Probe", {
  names: new Map([[sharedProbe, "Shared"]]),
  secrets: new Set(["ProbeNested.secret"]),
});
const field = (name: string): FieldModel => {
  const f = model.fields.find((x) => x.name === name);
  assert.ok(f !== undefined, name);
  return f;
};

describe("schema model", () => {
  test("types, presence, defaults and descriptions of each construct", () => {
    assert.deepEqual(field("text"), {
      name: "text",
      path: "text",
      type: { kind: "string" },
      optional: false,
      default: undefined,
      description: "A required string.",
      secret: false,
    });
    assert.deepEqual([field("count").type, field("count").optional], [{ kind: "number", integer: true }, true]);
    assert.deepEqual([field("ratio").type, field("ratio").default], [{ kind: "number", integer: false }, { value: 0.5 }]);
    assert.deepEqual(field("whole").type, { kind: "number", integer: true });
    assert.deepEqual([field("flag").type, field("flag").optional, field("flag").default], [{ kind: "boolean" }, true, { value: false }]);
    assert.deepEqual(field("mode").type, { kind: "enum", values: ["a", "b"] });
    assert.deepEqual(field("off").type, { kind: "literal", values: [false] });
    assert.deepEqual(field("either").type, { kind: "union", options: [{ kind: "array", items: { kind: "string" } }, { kind: "string" }] });
    assert.deepEqual(field("list").type, { kind: "array", items: { kind: "unknown" } });
    assert.deepEqual(field("env").type, { kind: "record", values: { kind: "string" } });
    // .describe() before .superRefine() / .refine(), and inside .optional(): the text survives.
    assert.equal(field("env").description, "A record, refined after the description.");
    assert.deepEqual([field("refined").description, field("refined").optional], ["Described, then refined.", true]);
    assert.deepEqual(field("maybe").type, { kind: "union", options: [{ kind: "string" }, { kind: "literal", values: [null] }] });
    const choice = field("choice").type;
    assert.equal(choice.kind, "union");
    assert.deepEqual(field("choice").default, { value: "none" });
  });

  test("objects: named by path, strictness, secrets, a shared object modelled once", () => {
    const nested = field("nested").type;
    assert.ok(nested.kind === "object");
    assert.equal(nested.object.name, "ProbeNested");
    assert.equal(nested.object.strict, true);
    assert.equal(nested.object.fields.find((f) => f.name === "secret")?.secret, true);
    const deeper = nested.object.fields.find((f) => f.name === "deeper");
    assert.equal(deeper?.type.kind === "object" ? deeper.type.object.name : "", "ProbeNestedDeeper");
    assert.equal(deeper?.path, "nested.deeper");
    const first = field("first").type;
    const second = field("second").type;
    assert.ok(first.kind === "object" && second.kind === "object");
    assert.equal(first.object, second.object, "one model for the shared object");
    assert.equal(first.object.name, "Shared");
    // Each use keeps its own description.
    assert.deepEqual([field("first").description, field("second").description], ["The shared object, once.", "The shared object, again."]);
    assert.equal(objectModel(z.object({ a: z.string() }), "Loose").strict, false);
    assert.ok(allFields(model).every((f) => f.description !== undefined));
  });

  test("an object two resources share is declared once and imported by the other's file", () => {
    const [a, b] = objectModels([
      [z.object({ target: sharedProbe.describe("Where.") }), "Alpha"],
      [z.object({ again: sharedProbe.describe("Where, too.") }), "Beta"],
    ]);
    assert.ok(a !== undefined && b !== undefined);
    const state = { module: "resources/none.js", type: "NoState" };
    const files = sdkFiles([
      { name: "Alpha", inputs: a, outputs: [], state },
      { name: "Beta", inputs: b, outputs: [], state },
    ]);
    assert.match(files.get("alpha.ts") ?? "", /export interface AlphaTargetArgs \{/);
    const declaredIn = [...files].filter(([, text]) => /export interface \w+Args \{\n {2}\/\*\* A host name\. \*\//.test(text)).map(([n]) => n);
    assert.deepEqual(declaredIn, ["alpha.ts"]);
    assert.match(files.get("beta.ts") ?? "", /import type \{ AlphaTargetArgs \} from "\.\/alpha\.js";/);
  });

  test("an unsupported construct fails naming the field's path", () => {
    const schema = z.object({ outer: z.object({ when: z.date().describe("A date.") }) });
    assert.throws(() => objectModel(schema, "Bad"), (e: unknown) => e instanceof SchemaModelError && /^outer\.when: zod type "date"/.test(e.message));
  });

  test("the emitted args type-check against the schema's z.input (tsc), and a drift does not", () => {
    const emitted = argsDeclarations(model);
    assert.match(emitted, /\/\*\* A required string\. \*\/\n {2}text: pulumi\.Input<string>;/);
    assert.match(emitted, /either\?: pulumi\.Input<pulumi\.Input<string>\[\] \| string \| undefined>;/);
    assert.match(emitted, /env\?: pulumi\.Input<Record<string, pulumi\.Input<string>> \| undefined>;/);
    assert.match(emitted, /choice\?: pulumi\.Input<"none" \| "env" \| ProbeChoiceArgs \| undefined>;/);
    assert.match(emitted, /@default "none"/);

    const header = `import type * as pulumi from "@pulumi/pulumi";\nimport type { ProbeInput } from "./schemaModelProbe.js";\nimport type { Agree } from "./sdkArgsAgreement.js";\n`;
    const good = `${header}${emitted}\nexport const ok = true satisfies Agree<ProbeArgs, ProbeInput>;\n`;
    assert.deepEqual(typeErrors(good), []);
    // The same check on an emitted text with one field dropped (an optional one: the hardest to notice).
    const dropped = good.replace(/\n {2}\/\*\* An optional whole number\. \*\/\n {2}count\?: [^\n]*\n/, "\n");
    assert.notEqual(dropped, good);
    assert.equal(typeErrors(dropped).length, 1);
  });
});

let previous: ts.Program | undefined;

/** Semantic errors of a module placed in test/unit (so its relative imports resolve to the sources there). */
function typeErrors(text: string): string[] {
  const file = join(root, "test", "unit", "emitted-probe.ts");
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ["node"],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) =>
    name === file ? ts.createSourceFile(name, text, version) : getSourceFile(name, version);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  // The previous program's unchanged files are reused: only the emitted module is checked again.
  const program = ts.createProgram([file], options, host, previous);
  previous = program;
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}
