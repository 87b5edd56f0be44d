/**
 * pulumi-winrm-proxy: Pulumi resources for Windows hosts reached over WinRM, through HTTP proxies.
 *
 * - WinRMProxyConfig: the proxy path to a WinRM 2.0+ host and the service settings it needs; outputs `connection`.
 * - WinHttpProxySetting: the host's WinHTTP default proxy (netsh / proxycfg), drift read from the registry.
 * - RemoteCommand: create / update / delete commands (cmd or PowerShell).
 * - CopyToRemote: a local file or directory copied to the host, replaced when its content changes (by hash).
 *
 * Each resource runs its work in the engine's dynamic-provider process through `pulumi-winrm-proxy/provider`, which
 * must be installed in the program's node_modules (it is this package).
 */
export { WinHttpProxySetting } from "./winHttpProxySetting.js";
export type { WinHttpProxySettingArgs, WinHttpProxyValue } from "./winHttpProxySetting.js";
export { WinRMProxyConfig } from "./winRMProxyConfig.js";
export type { WinRMProxyConfigArgs, ServiceAuthArgs, PathFacts, LiveServiceAuth } from "./winRMProxyConfig.js";
export { RemoteCommand } from "./remoteCommand.js";
export type { RemoteCommandArgs } from "./remoteCommand.js";
export { CopyToRemote } from "./copyToRemote.js";
export type { CopyToRemoteArgs, CopySource } from "./copyToRemote.js";
// ConnectionArgs and its nested objects (ConnectionAuthArgs, ConnectionProxyArgs, ...), generated from the zod schema.
export type * from "./generated/connection.js";
export type { ConnectionInput, DeepInput } from "./types.js";
export { winHttpProxySettingShim, winRMProxyConfigShim, remoteCommandShim, copyToRemoteShim } from "./shim.js";
