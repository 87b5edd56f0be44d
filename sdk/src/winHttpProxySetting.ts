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
// Types only (erased): the SDK never loads provider code in the program's process; the shim requires it by name in
// the dynamic-provider process.
import type { WinHttpProxyState } from "../../provider/src/hosts/winhttpSettings.js";
import type { WinHttpProxySettingDeclaredInputs } from "../../provider/src/resources/schemas.js";
import type { WinHttpProxySettingState } from "../../provider/src/resources/winHttpProxySetting.js";
import { importAsAdopt } from "./adopt.js";
import { winHttpProxySettingShim } from "./shim.js";
import { SECRET_OUTPUTS, withSecretOutputs, type ArgsOf, type ConnectionInput } from "./types.js";

/**
 * connection (stored as a secret); exactly one of proxyServer (one proxy for all schemes, "proxy:8080", or per scheme
 * "http=a:80;https=b:443"), directAccess: true (no proxy), importFromIe: true (the WinRM user's manual Internet
 * Explorer proxy); bypassList with proxyServer: hosts that go direct, ["<local>", "*.corp.example"] or
 * "<local>;*.corp.example"; onDelete: "restore" the setting found at create (default), "reset" to direct access, or
 * "retain".
 */
export type WinHttpProxySettingArgs = ArgsOf<WinHttpProxySettingDeclaredInputs>;

/** A WinHTTP proxy setting: accessType "direct" | "proxy", proxyServer, bypassList (`;`-separated). */
export type WinHttpProxyValue = WinHttpProxyState;

export class WinHttpProxySetting extends pulumi.dynamic.Resource {
  declare readonly connection: pulumi.Output<ConnectionInput>;
  declare readonly endpoint: pulumi.Output<string>;
  /** Live proxy server ("" for direct access), in the declared spelling when equivalent. */
  declare readonly proxyServer: pulumi.Output<string>;
  /** Live bypass list, `;`-separated. */
  declare readonly bypassList: pulumi.Output<string>;
  declare readonly directAccess: pulumi.Output<boolean>;
  declare readonly importFromIe: pulumi.Output<boolean>;
  declare readonly onDelete: pulumi.Output<WinHttpProxySettingState["onDelete"]>;
  declare readonly accessType: pulumi.Output<WinHttpProxySettingState["accessType"]>;
  /** What the last create/update applied. */
  declare readonly expected: pulumi.Output<WinHttpProxyValue>;
  /** The setting found at create (restored on destroy with onDelete "restore"). */
  declare readonly previous: pulumi.Output<WinHttpProxySettingState["previous"]>;
  /** "netsh" or "proxycfg", chosen from the host's Identify version. */
  declare readonly tool: pulumi.Output<WinHttpProxySettingState["tool"]>;
  declare readonly productVersion: pulumi.Output<string>;
  declare readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, given: WinHttpProxySettingArgs, givenOpts?: pulumi.CustomResourceOptions) {
    const { args, opts } = importAsAdopt(given, givenOpts);
    super(
      winHttpProxySettingShim,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        endpoint: undefined,
        accessType: undefined,
        expected: undefined,
        previous: undefined,
        tool: undefined,
        productVersion: undefined,
        schemaVersion: undefined,
      },
      withSecretOutputs(opts, SECRET_OUTPUTS),
      "winrm-proxy",
      "WinHttpProxySetting",
    );
  }
}
