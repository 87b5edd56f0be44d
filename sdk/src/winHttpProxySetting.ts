/**
 * The WinHTTP default proxy of a Windows host (netsh winhttp on 2008 and later, proxycfg on 2003), read back from the
 * registry so drift shows in `pulumi refresh` whatever the host's display language.
 *
 * ```ts
 * new WinHttpProxySetting("legacy-01-proxy", {
 *   connection,                                   // e.g. winrmConfig.connection, or { endpoint, auth, proxy }
 *   proxyServer: "proxy.corp.example:3128",       // or "http=a:80;https=b:443"
 *   bypassList: ["<local>", "*.corp.example"],
 * });
 * ```
 * id: `winhttp:<endpoint>`. A setting the host already has is adopted with the `import: "winhttp:<endpoint>"` option
 * (or the `adopt` input) and the inputs set to its value: nothing is written to the host, and destroy leaves it as
 * it was found (onDelete "restore", the default).
 */
import * as pulumi from "@pulumi/pulumi";
import type { WinHttpProxyState } from "../../provider/src/hosts/winhttpSettings.js";
import {
  winHttpProxySettingOutputNames,
  WinHttpProxySettingOutputs,
  type WinHttpProxySettingArgs,
} from "./generated/winHttpProxySetting.js";
import { importAsAdopt } from "./adopt.js";
import { winHttpProxySettingShim } from "./shim.js";
import { SECRET_OUTPUTS, withOutputs, withSecretOutputs } from "./types.js";

export type { WinHttpProxySettingArgs };

/** A WinHTTP proxy setting: accessType "direct" | "proxy", proxyServer, bypassList (`;`-separated). */
export type WinHttpProxyValue = WinHttpProxyState;

/**
 * The WinHTTP default proxy of one host (inputs: WinHttpProxySettingArgs, at most one of proxyServer, directAccess,
 * importFromIe; each input and output is documented where it is declared). The connection is stored as a secret.
 */
export class WinHttpProxySetting extends WinHttpProxySettingOutputs {
  constructor(name: string, given: WinHttpProxySettingArgs, givenOpts?: pulumi.CustomResourceOptions) {
    const { args, opts } = importAsAdopt(given, givenOpts);
    super(
      winHttpProxySettingShim,
      name,
      { ...withOutputs(winHttpProxySettingOutputNames, args), connection: pulumi.secret(args.connection) },
      withSecretOutputs(opts, SECRET_OUTPUTS),
      "winrm-proxy",
      "WinHttpProxySetting",
    );
  }
}
