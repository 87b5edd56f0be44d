/**
 * The providers of the Pulumi resources, by type name. The SDK's shims (sdk/src/shim.ts) reach them with
 * `require("pulumi-winrm-proxy/provider").resourceProviders.<Type>.<method>(...)`, so what runs in the engine's
 * dynamic-provider process is always this installed code, never a closure frozen into state.
 *
 * Nothing reachable from here may use top-level await: that process is CommonJS and loads this ES module with
 * require() (Node >= 20.19), which refuses modules with top-level await (ERR_REQUIRE_ASYNC_MODULE).
 */
import { copyToRemote } from "./copyToRemote.js";
import { remoteCommand } from "./remoteCommand.js";
import type { ResourceProviderFunctions } from "./types.js";
import { winHttpProxySetting } from "./winHttpProxySetting.js";
import { winRMProxyConfig } from "./winRMProxyConfig.js";

export type ResourceType = "WinHttpProxySetting" | "WinRMProxyConfig" | "RemoteCommand" | "CopyToRemote";

export const resourceProviders: Readonly<Record<ResourceType, ResourceProviderFunctions>> = Object.freeze({
  WinHttpProxySetting: winHttpProxySetting,
  WinRMProxyConfig: winRMProxyConfig,
  RemoteCommand: remoteCommand,
  CopyToRemote: copyToRemote,
});

export { closeAllClients } from "./clientPool.js";
export { SCHEMA_VERSION, UNKNOWN } from "./schemas.js";
export type { CheckFailure } from "./schemas.js";
export type { DiffResult, PropertyDiff, Props, ResourceProviderFunctions } from "./types.js";
export { winHttpId } from "./winHttpProxySetting.js";
export { winRMConfigId } from "./winRMProxyConfig.js";
export { REMOTE_COMMAND_ID_PREFIX } from "./remoteCommand.js";
export { COPY_TO_REMOTE_ID_PREFIX } from "./copyToRemote.js";
