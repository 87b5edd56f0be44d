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
export { checkPolicy, RULE_NO_CLEARTEXT_OVER_HTTP, RULE_PROXY_AUTH_NEEDS_HTTPS } from "./transport/policy.js";
export type { TransportPlan, PolicyOptions } from "./transport/policy.js";
export { resolveProxy, matchesNoProxy, matchesBypassList } from "./transport/proxyConfig.js";
export type { ResolvedProxy } from "./transport/proxyConfig.js";
export type { PathEvent, PathObserver } from "./transport/pathEvents.js";
export type { ProxyConfig } from "./connection.js";
export type { ConfigTree } from "./wsman/config.js";
export * from "./errors.js";
// Pulumi resources (issue 5): what the SDK's shims call in the engine's dynamic-provider process.
export { resourceProviders, closeAllClients, SCHEMA_VERSION, winHttpId, winRMConfigId, COPY_TO_REMOTE_ID_PREFIX } from "./resources/index.js";
export type { ResourceType, ResourceProviderFunctions, DiffResult, CheckFailure } from "./resources/index.js";
// File copy to the host (issue 13, docs/file-copy.md).
export { copyToRemote, remoteHashes, localHashes, removeRemote, CopyRemoteError, CopyVerificationError } from "./copy/index.js";
export type { CopyOptions, CopyProgress, CopyResult, CopiedFile } from "./copy/index.js";
