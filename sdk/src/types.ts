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

/** additionalSecretOutputs with the resource's own secret outputs added. */
export function withSecretOutputs<O extends pulumi.CustomResourceOptions>(opts: O | undefined, names: string[]): O {
  const given = opts?.additionalSecretOutputs ?? [];
  return { ...(opts ?? {}), additionalSecretOutputs: [...new Set([...given, ...names])] } as O;
}
