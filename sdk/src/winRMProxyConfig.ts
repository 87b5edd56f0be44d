/**
 * The proxy path to a WinRM 2.0+ host, probed, and the service settings it needs: AllowUnencrypted=false, the auth
 * schemes on (Basic off by default), applied with WS-Transfer Put. Its `connection` output (secret) feeds the other
 * resources. WinRM 1.1 hosts are refused: use WinHttpProxySetting there.
 *
 * id: `winrm-config:<endpoint>`. The host's current service settings are adopted with the
 * `import: "winrm-config:<endpoint>"` option (or the `adopt` input): nothing is Put, and a live setting that differs
 * from the declared one fails, naming it.
 */
import * as pulumi from "@pulumi/pulumi";
// Types only (erased): the SDK never loads provider code in the program's process; the shim requires it by name in
// the dynamic-provider process.
import type { ServiceAuthDeclared, WinRMProxyConfigDeclaredInputs } from "../../provider/src/resources/schemas.js";
import type { LiveServiceAuth, PathFacts, WinRMProxyConfigState } from "../../provider/src/resources/winRMProxyConfig.js";
import { importAsAdopt } from "./adopt.js";
import { winRMProxyConfigShim } from "./shim.js";
import { SECRET_OUTPUTS, withSecretOutputs, type ArgsOf, type ConnectionInput } from "./types.js";

export type { LiveServiceAuth, PathFacts };

/** Service/Auth schemes (WinRM config names). Defaults: negotiate and kerberos on; basic, certificate, credSSP off. */
export type ServiceAuthArgs = ServiceAuthDeclared;

/**
 * connection (stored as a secret): endpoint, credentials and proxy of the path; allowUnencrypted: only false (the
 * default); serviceAuth (ServiceAuthArgs); onDelete: "retain" the settings (default) or "restore" the auth schemes
 * found at create.
 */
export type WinRMProxyConfigArgs = ArgsOf<WinRMProxyConfigDeclaredInputs>;

export class WinRMProxyConfig extends pulumi.dynamic.Resource {
  /** The verified connection, for the other resources (secret). */
  declare readonly connection: pulumi.Output<ConnectionInput>;
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly productVersion: pulumi.Output<string>;
  declare readonly stack: pulumi.Output<string>;
  /** The path as the connection took it: mechanism, encrypted, transport (direct | tunnel | forward), proxy. */
  declare readonly path: pulumi.Output<PathFacts>;
  declare readonly allowUnencrypted: pulumi.Output<boolean>;
  declare readonly serviceAuth: pulumi.Output<LiveServiceAuth>;
  declare readonly previousServiceAuth: pulumi.Output<LiveServiceAuth>;
  declare readonly onDelete: pulumi.Output<WinRMProxyConfigState["onDelete"]>;
  declare readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, given: WinRMProxyConfigArgs, givenOpts?: pulumi.CustomResourceOptions) {
    const { args, opts } = importAsAdopt(given, givenOpts);
    super(
      winRMProxyConfigShim,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        endpoint: undefined,
        productVersion: undefined,
        stack: undefined,
        path: undefined,
        previousServiceAuth: undefined,
        schemaVersion: undefined,
      },
      withSecretOutputs(opts, SECRET_OUTPUTS),
      "winrm-proxy",
      "WinRMProxyConfig",
    );
  }
}
