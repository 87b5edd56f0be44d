/**
 * The `import` resource option, made to work for these dynamic resources.
 *
 * Pulumi's import step reads the resource with no properties at all (pkg/resource/deploy/step.go ImportStep.Apply in
 * v3.248.0: ReadRequest without Inputs or State), and a dynamic resource's provider travels in its properties
 * (`__provider`): the engine's dynamic-provider process has nothing to run and fails before any code of ours
 * ("Cannot read properties of undefined (reading 'toJavaScript')"; pulumi/pulumi#3550, #16175). So the classes take
 * `import` out of the options and pass the id as the `adopt` input instead: the engine runs a create, in which the
 * provider checks that the id names the connection's host and that the host already holds the declared value, and
 * writes nothing to the host (a mismatch fails, naming the property).
 */
import type * as pulumi from "@pulumi/pulumi";

export function importAsAdopt<A extends object>(
  args: A,
  opts: pulumi.CustomResourceOptions | undefined,
): { args: A; opts: pulumi.CustomResourceOptions | undefined } {
  if (opts?.import === undefined) return { args, opts };
  const { import: id, ...rest } = opts;
  const given = (args as { adopt?: unknown }).adopt;
  return { args: { ...args, adopt: given ?? id }, opts: rest };
}
