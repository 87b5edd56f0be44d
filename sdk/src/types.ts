/** Input helpers shared by the resource classes. */
import type * as pulumi from "@pulumi/pulumi";
import type { ConnectionInput } from "../../provider/src/connection.js";

/** T where any value, at any depth, may also be a pulumi.Input (Output, Promise). */
export type DeepInput<T> = T extends readonly (infer E)[]
  ? pulumi.Input<DeepInput<E>[]>
  : T extends object
    ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
    : pulumi.Input<T>;

/**
 * How to reach a Windows host: { endpoint, auth: { mechanism, username, password }, tls, proxy, ... } (the schema of
 * provider/src/connection.ts). Always stored as a secret: it holds passwords.
 */
export type ConnectionArgs = DeepInput<ConnectionInput>;

export type { ConnectionInput };

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
