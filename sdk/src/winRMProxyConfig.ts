/**
 * The proxy path to a WinRM 2.0+ host, probed, and the service settings it needs: AllowUnencrypted=false, the auth
 * schemes on (Basic off by default), applied with WS-Transfer Put. Its `connection` output (secret) feeds the other
 * resources. WinRM 1.1 hosts are refused: use WinHttpProxySetting there.
 *
 * id: `winrm-config:<endpoint>`.
 */
import * as pulumi from "@pulumi/pulumi";
import { winRMProxyConfigShim } from "./shim.js";
import { SECRET_OUTPUTS, withSecretOutputs, type ConnectionArgs, type ConnectionInput, type DeepInput } from "./types.js";

export interface ServiceAuthArgs {
  basic?: boolean;
  negotiate?: boolean;
  kerberos?: boolean;
  certificate?: boolean;
  credSSP?: boolean;
  cbtHardeningLevel?: "None" | "Relaxed" | "Strict";
}

export interface WinRMProxyConfigArgs {
  /** Endpoint, credentials and proxy of the path (stored as a secret). */
  connection: ConnectionArgs;
  /** Service/AllowUnencrypted: only false is accepted (the default). */
  allowUnencrypted?: pulumi.Input<false>;
  /** Service/Auth. Defaults: negotiate and kerberos on, basic, certificate, credSSP off. */
  serviceAuth?: DeepInput<ServiceAuthArgs>;
  /** On destroy: "retain" the settings (default) or "restore" the auth schemes found at create. */
  onDelete?: pulumi.Input<"retain" | "restore">;
}

export interface PathFacts {
  mechanism: string;
  encrypted: boolean;
  sealed: boolean;
  tls: boolean;
  transport: "direct" | "tunnel" | "forward";
  proxy: string;
}

export interface LiveServiceAuth {
  basic: boolean;
  negotiate: boolean;
  kerberos: boolean;
  certificate: boolean;
  credSSP: boolean;
  cbtHardeningLevel: string;
}

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
  declare readonly onDelete: pulumi.Output<"retain" | "restore">;
  declare readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, args: WinRMProxyConfigArgs, opts?: pulumi.CustomResourceOptions) {
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
