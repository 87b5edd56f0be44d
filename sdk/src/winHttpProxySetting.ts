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
 * id: `winhttp:<endpoint>`; `import` it with the connection input set.
 */
import * as pulumi from "@pulumi/pulumi";
import { winHttpProxySettingShim } from "./shim.js";
import { SECRET_OUTPUTS, withSecretOutputs, type ConnectionArgs, type ConnectionInput } from "./types.js";

export interface WinHttpProxySettingArgs {
  /** How to reach the host (stored as a secret). */
  connection: ConnectionArgs;
  /** One proxy for all schemes ("proxy:8080") or per scheme ("http=a:80;https=b:443"). */
  proxyServer?: pulumi.Input<string>;
  /** Hosts that go direct: ["<local>", "*.corp.example"] or "<local>;*.corp.example". */
  bypassList?: pulumi.Input<string | pulumi.Input<string>[]>;
  /** true: no proxy. */
  directAccess?: pulumi.Input<boolean>;
  /** true: copy the WinRM user's manual Internet Explorer proxy. */
  importFromIe?: pulumi.Input<boolean>;
  /** On destroy: "restore" the setting found at create (default), "reset" to direct access, or "retain". */
  onDelete?: pulumi.Input<"restore" | "reset" | "retain">;
}

export interface WinHttpProxyValue {
  accessType: "direct" | "proxy";
  proxyServer: string;
  bypassList: string;
}

export class WinHttpProxySetting extends pulumi.dynamic.Resource {
  declare readonly connection: pulumi.Output<ConnectionInput>;
  declare readonly endpoint: pulumi.Output<string>;
  /** Live proxy server ("" for direct access), in the declared spelling when equivalent. */
  declare readonly proxyServer: pulumi.Output<string>;
  /** Live bypass list, `;`-separated. */
  declare readonly bypassList: pulumi.Output<string>;
  declare readonly directAccess: pulumi.Output<boolean>;
  declare readonly importFromIe: pulumi.Output<boolean>;
  declare readonly onDelete: pulumi.Output<"restore" | "reset" | "retain">;
  declare readonly accessType: pulumi.Output<"direct" | "proxy">;
  /** What the last create/update applied. */
  declare readonly expected: pulumi.Output<WinHttpProxyValue>;
  /** The setting found at create (restored on destroy with onDelete "restore"). */
  declare readonly previous: pulumi.Output<WinHttpProxyValue & { exists: boolean }>;
  /** "netsh" or "proxycfg", chosen from the host's Identify version. */
  declare readonly tool: pulumi.Output<"netsh" | "proxycfg">;
  declare readonly productVersion: pulumi.Output<string>;
  declare readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, args: WinHttpProxySettingArgs, opts?: pulumi.CustomResourceOptions) {
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
