/** Input helpers shared by the resource classes. */
import type * as pulumi from "@pulumi/pulumi";
import type { ConnectionInput } from "../../provider/src/connection.js";

/** T where any value, at any depth, may also be a pulumi.Input (Output, Promise). */
export type DeepInput<T> = T extends readonly (infer E)[]
  ? pulumi.Input<DeepInput<E>[]>
  : T extends object
    ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
    : pulumi.Input<T>;

export type { ConnectionInput };

/** T's plain values, where each array element and object property may also be a pulumi.Input. */
type InputsWithin<T> = T extends readonly (infer E)[]
  ? pulumi.Input<InputsWithin<E>>[]
  : T extends object
    ? { [K in keyof T]: pulumi.Input<InputsWithin<T[K]>> }
    : T;

/**
 * The args a zod input type allows: each property a pulumi.Input of its whole value (an Output<string | string[]>
 * bypass list), with Inputs allowed at any depth inside (the engine resolves them all before the provider's check);
 * the Input wraps the union, not each member, so Output<boolean> is taken. The generated args interfaces
 * (sdk/src/generated, with each field's documentation) must stay mutually assignable with this derivation of the zod
 * schemas; test/unit/sdk-args-types.test.ts checks it.
 */
export type ArgsOf<T> = { [K in keyof T]: pulumi.Input<InputsWithin<T[K]>> };

/**
 * The outputs every resource stores as secrets: `connection` (it holds passwords), and `declared`, the provider's copy
 * of the inputs as the program wrote them. The engine makes an output secret by itself only when the input of the
 * same name was (the dynamic provider does not accept secrets: pkg annotateSecrets matches top-level names), and
 * `declared` matches no input: without this, a secret stdin or command line would sit in it in plaintext.
 */
export const SECRET_OUTPUTS = ["connection", "declared"];

/** additionalSecretOutputs with the resource's own secret outputs added. */
export function withSecretOutputs<O extends pulumi.CustomResourceOptions>(opts: O | undefined, names: string[]): O {
  const given = opts?.additionalSecretOutputs ?? [];
  return { ...(opts ?? {}), additionalSecretOutputs: [...new Set([...given, ...names])] } as O;
}

/**
 * The properties a resource class registers: every output name (undefined: computed by the provider), then the
 * given args over them. @pulumi/pulumi's Resource makes an Output property for each key it is given, so every
 * declared output exists on the object, also an input the program left out.
 */
export function withOutputs<A extends object>(outputNames: readonly string[], args: A): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const name of outputNames) props[name] = undefined;
  return { ...props, ...args };
}
