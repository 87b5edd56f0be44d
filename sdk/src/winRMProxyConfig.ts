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
import type { LiveServiceAuth, PathFacts } from "../../provider/src/resources/winRMProxyConfig.js";
import {
  winRMProxyConfigOutputNames,
  WinRMProxyConfigOutputs,
  type ServiceAuthArgs,
  type WinRMProxyConfigArgs,
} from "./generated/winRMProxyConfig.js";
import { importAsAdopt } from "./adopt.js";
import { winRMProxyConfigShim } from "./shim.js";
import { SECRET_OUTPUTS, withOutputs, withSecretOutputs } from "./types.js";

export type { LiveServiceAuth, PathFacts, ServiceAuthArgs, WinRMProxyConfigArgs };

/**
 * The proxy path to a WinRM 2.0+ host and its hardened service settings (inputs: WinRMProxyConfigArgs; each input
 * and output is documented where it is declared). Its `connection` output (secret) feeds the other resources.
 */
export class WinRMProxyConfig extends WinRMProxyConfigOutputs {
  constructor(name: string, given: WinRMProxyConfigArgs, givenOpts?: pulumi.CustomResourceOptions) {
    const { args, opts } = importAsAdopt(given, givenOpts);
    super(
      winRMProxyConfigShim,
      name,
      { ...withOutputs(winRMProxyConfigOutputNames, args), connection: pulumi.secret(args.connection) },
      withSecretOutputs(opts, SECRET_OUTPUTS),
      "winrm-proxy",
      "WinRMProxyConfig",
    );
  }
}
