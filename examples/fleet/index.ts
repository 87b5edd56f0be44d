/**
 * A Windows fleet behind HTTP proxies, managed over WinRM.
 *
 * For every host in the stack's `hosts` config:
 * - WinRM 2.0 and later (Server 2008 R2+): a WinRMProxyConfig proves the proxy path and hardens the WinRM service
 *   (AllowUnencrypted=false, Basic off); the other resources reuse its verified, secret `connection` output.
 * - every host: a WinHttpProxySetting, the machine's WinHTTP default proxy (what WinRM 1.1, Windows Update and other
 *   WinHTTP services use). The provider asks the host's WinRM Identify which tool applies: proxycfg on Server 2003,
 *   netsh winhttp on 2008 and later. It reads the live value from the registry, so drift shows whatever the host's
 *   display language.
 * - every host: a RemoteCommand recording which proxy was declared, in the registry (removed on destroy).
 *
 * Config (Pulumi.<stack>.yaml; `pulumi config set --secret` for the passwords):
 *   winrm-fleet:deployUser       CORP\deploy
 *   winrm-fleet:deployPassword   (secret) the deployment account's password
 *   winrm-fleet:proxyPassword    (secret, optional) the password of proxies that authenticate
 *   winrm-fleet:winhttpProxy     { server: "proxy.corp.example:8080", bypass: ["<local>", "*.corp.example"] }
 *   winrm-fleet:hosts            [{ name, endpoint, os, proxy: { url, auth?, username? }, caFile?, ca? }, ...]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { RemoteCommand, WinHttpProxySetting, WinRMProxyConfig, type ConnectionArgs } from "pulumi-winrm-proxy";

/** Windows Server generations, and the WinRM stack each ships with. */
const WINRM_VERSION = {
  "2003": "1.1", // WinRM 1.1 is an add-on (KB936059) for 2003 / 2003 R2
  "2003r2": "1.1",
  "2008": "1.1",
  "2008r2": "2.0",
  "2012": "3.0",
  "2012r2": "3.0", // WMF 4.0, but Identify still reports Stack: 3.0
  "2016": "3.0",
  "2019": "3.0",
  "2022": "3.0",
} as const;
type OsGeneration = keyof typeof WINRM_VERSION;

interface ProxyConfig {
  /** http://proxy.corp.example:3128 */
  url: string;
  /** "none" (default), "basic", "ntlm", "negotiate", "kerberos"; any of these needs an https:// endpoint. */
  auth?: "none" | "basic" | "ntlm" | "negotiate" | "kerberos";
  /** The proxy account; its password is the `proxyPassword` secret. */
  username?: string;
}

interface HostConfig {
  name: string;
  /** http(s)://host:port/wsman */
  endpoint: string;
  os: OsGeneration | number;
  /** How this host is reached; omit for a direct connection. */
  proxy?: ProxyConfig;
  /** PEM of the CA that issued the HTTPS listener's certificate (or a path to it, relative to the project). */
  ca?: string;
  caFile?: string;
}

interface WinHttpProxyConfig {
  server: string;
  bypass?: string[];
}

const config = new pulumi.Config();
const hosts = config.requireObject<HostConfig[]>("hosts");
const deployUser = config.require("deployUser");
const deployPassword = config.requireSecret("deployPassword");
const proxyPassword = config.getSecret("proxyPassword");
const winhttpProxy = config.requireObject<WinHttpProxyConfig>("winhttpProxy");

function connectionFor(host: HostConfig): ConnectionArgs {
  const ca = host.ca ?? (host.caFile !== undefined ? fs.readFileSync(path.resolve(host.caFile), "utf8") : undefined);
  const proxy = host.proxy;
  const needsProxyPassword = proxy !== undefined && (proxy.auth ?? "none") !== "none";
  if (needsProxyPassword && proxyPassword === undefined) {
    throw new Error(`host ${host.name}: its proxy authenticates (auth: ${proxy.auth}); set it with \`pulumi config set --secret proxyPassword\``);
  }
  return {
    endpoint: host.endpoint,
    auth: { mechanism: "negotiate", username: deployUser, password: deployPassword },
    ...(ca !== undefined ? { tls: { ca } } : {}),
    proxy:
      proxy === undefined
        ? "none"
        : {
            url: proxy.url,
            auth: proxy.auth ?? "none",
            ...(proxy.username !== undefined ? { username: proxy.username } : {}),
            ...(needsProxyPassword ? { password: proxyPassword } : {}),
          },
  };
}

/** The registry key where the deployment records what it declared (a marker other tooling can read). */
const MARKER_KEY = "HKLM\\SOFTWARE\\Corp\\Deployment";

export const fleet: Record<string, pulumi.Output<unknown>> = {};

for (const host of hosts) {
  // `pulumi config set --path hosts[0].os 2019` stores a number: accept both.
  const os = String(host.os) as OsGeneration;
  const winrm = WINRM_VERSION[os];
  if (winrm === undefined) {
    throw new Error(`host ${host.name}: unknown os "${os}"; use one of ${Object.keys(WINRM_VERSION).join(", ")}`);
  }
  let connection: pulumi.Input<ConnectionArgs> = connectionFor(host);

  // WinRM 2.0+: prove the path through the proxy and harden the service; everything else goes over that connection.
  let winrmConfig: WinRMProxyConfig | undefined;
  if (winrm !== "1.1") {
    winrmConfig = new WinRMProxyConfig(`${host.name}-winrm`, {
      connection,
      allowUnencrypted: false,
      serviceAuth: { basic: false, negotiate: true, kerberos: true },
    });
    connection = winrmConfig.connection;
  }

  const winhttp = new WinHttpProxySetting(`${host.name}-winhttp`, {
    connection,
    proxyServer: winhttpProxy.server,
    bypassList: winhttpProxy.bypass ?? ["<local>"],
  });

  const marker = new RemoteCommand(
    `${host.name}-marker`,
    {
      connection,
      create: `reg add "${MARKER_KEY}" /v WinHttpProxy /t REG_SZ /d "${winhttpProxy.server}" /f`,
      delete: `reg delete "${MARKER_KEY}" /v WinHttpProxy /f`,
      // Re-record when the declared proxy changes.
      triggers: [winhttpProxy.server],
    },
    { dependsOn: [winhttp] },
  );

  fleet[host.name] = pulumi.output({
    os,
    winrm,
    productVersion: winhttp.productVersion,
    tool: winhttp.tool,
    winhttpProxy: winhttp.proxyServer,
    bypassList: winhttp.bypassList,
    markerRecorded: marker.exitCode.apply((c) => c === 0),
    ...(winrmConfig !== undefined ? { path: winrmConfig.path, serviceAuth: winrmConfig.serviceAuth } : {}),
  });
}
