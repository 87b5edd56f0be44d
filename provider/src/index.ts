/** Public surface of the provider package: the client, the connection schema, and the error classes. */
export { WinRMClient } from "./client.js";
export type {
  ClientOptions,
  ClientStats,
  IdentifyResult,
  OutputChunk,
  RunOptions,
  RunResult,
  ShellHandle,
  ShellKind,
} from "./client.js";
export { connectionSchema, parseConnection, normaliseEndpoint, DEFAULT_WSMAN_PATH, MECHANISMS } from "./connection.js";
export type { Connection, ConnectionInput } from "./connection.js";
export { checkPolicy, RULE_NO_CLEARTEXT_OVER_HTTP } from "./transport/policy.js";
export type { TransportPlan } from "./transport/policy.js";
export type { ConfigTree } from "./wsman/config.js";
export * from "./errors.js";
