/**
 * `winrm-proxy probe`: walk the path to a WinRM host and report each step: the rules (checked before any byte), the
 * route (direct, CONNECT tunnel or forward proxying), the proxy and its authentication, TLS, the target's
 * authentication, what protects the messages, and whether the connection kept its affinity. Exit 0 only when the
 * path is allowed and works; 2 when a rule refuses it (nothing sent); 255 when it fails on the way.
 *
 * It authenticates, asks Identify, and runs `hostname` in a shell: several sealed requests on one connection, so a
 * proxy that loses affinity after the handshake is caught here rather than in a deployment.
 */
import { WinRMClient } from "../client.js";
import type { ConnectionInput } from "../connection.js";
import { InsecureProxyPathError, ConfigurationError, WinRMError } from "../errors.js";
import type { PathEvent } from "../transport/pathEvents.js";
import { closeWithin } from "./closeWithin.js";
import { messageWithFlags } from "./flagNames.js";

const EXIT_REFUSED = 2;
const EXIT_FAILED = 255;

export interface ProbeStep {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
  /** Works, but should not be left this way (ok stays true: a warning never fails the probe). */
  readonly warning?: boolean;
}

export const CLEAR_BASIC_WARNING =
  "Basic proxy credentials cross the network to the proxy in clear (base64); use an https:// proxy, or NTLM/Kerberos proxy auth";

export interface ProbeReport {
  readonly endpoint: string;
  readonly ok: boolean;
  readonly steps: ProbeStep[];
  readonly events: PathEvent[];
  readonly host?: { productVendor: string; productVersion: string; hostname: string };
  readonly error?: { code: string; message: string };
}

/** Turn one transport event into a report line. Pure, so the wording is tested without a network. */
export function describeEvent(e: PathEvent): ProbeStep {
  switch (e.type) {
    case "route": {
      const via = e.proxy !== undefined ? ` via ${e.proxy}${e.source !== undefined ? ` (from ${e.source})` : ""}` : "";
      const why = e.bypassed !== undefined ? ` (the proxy is bypassed: ${e.bypassed === "bypass" ? "bypass list" : "NO_PROXY"} matched)` : "";
      const what = e.route === "auto" ? "CONNECT tunnel, forward proxying if CONNECT is refused" : e.route;
      return { step: "route", ok: true, detail: `${what} to ${e.target}${via}${why}` };
    }
    case "proxy-connect":
      return { step: "proxy", ok: e.ok, detail: e.ok ? `${e.proxy} reachable` : `${e.proxy} unreachable: ${e.error ?? "connection failed"}` };
    case "proxy-tls":
      return {
        step: "proxy tls",
        ok: true,
        detail: `${e.protocol} to ${e.proxy}, certificate ${e.subject} issued by ${e.issuer}, valid to ${e.validTo}`,
      };
    case "socks": {
      const by = e.resolvedBy === "proxy" ? "the proxy resolved the name" : "resolved here";
      const what = `SOCKS5 CONNECT ${e.target} through ${e.proxy} (authentication ${e.auth}, ${by})`;
      return { step: "socks", ok: e.ok, detail: e.ok ? `${what}: open` : `${what}: ${e.error ?? "failed"}` };
    }
    case "connect": {
      const auth = e.proxyAuth !== undefined ? `, proxy authentication ${e.proxyAuth}` : ", no proxy authentication asked";
      const again = e.reconnected ? " (the proxy closed after its first 407; reconnected)" : "";
      const ok = e.status >= 200 && e.status < 300;
      return { step: "tunnel", ok, detail: `CONNECT ${e.target}: ${e.status} after ${e.legs} request(s)${auth}${again}` };
    }
    case "forward-fallback":
      return {
        step: "tunnel",
        ok: true,
        detail: `the proxy refused CONNECT to ${e.target} (${e.connectStatus}); forward proxying on one pinned connection`,
      };
    case "tls":
      return {
        step: "tls",
        ok: true,
        detail: `${e.protocol}, certificate ${e.subject} issued by ${e.issuer}, valid to ${e.validTo}; channel bindings ${e.channelBindings ? "sent" : "not available"}`,
      };
    case "target-auth": {
      // For auth "negotiate" the mechanism is the one Negotiate chose on this connection, and why; for "credssp" the
      // mechanism its inner SPNEGO negotiated (auth/credsspInner.ts).
      const who = e.mechanism === "credssp" ? "CredSSP's inner SPNEGO" : "Negotiate";
      const chose =
        e.negotiated !== undefined
          ? `; ${who} chose ${e.negotiated.chose === "kerberos" ? "Kerberos" : "NTLM"}: ${e.negotiated.reason}`
          : "";
      return {
        step: "target auth",
        ok: e.ok,
        detail: `${e.mechanism} (${e.scheme}) ${e.ok ? "succeeded" : "failed"} in ${e.legs} request(s)${chose}`,
      };
    }
    case "encryption": {
      const parts: string[] = [];
      if (e.sealed) parts.push(`every message sealed (${e.protocol ?? "WinRM message encryption"})`);
      if (e.tls) parts.push("TLS to the host");
      return { step: "encryption", ok: parts.length > 0, detail: parts.length > 0 ? parts.join(", ") : "none" };
    }
    case "affinity":
      return { step: "affinity", ok: e.verdict !== "broken", detail: `${e.verdict}: ${e.detail}` };
  }
}

/**
 * Report lines for the events, with a warning after a CONNECT that sent Basic credentials to an http:// proxy:
 * RFC 7617 4 (Basic is cleartext: base64 is no protection) and RFC 9110 11.7 (send it only to an https:// proxy).
 */
export function describeEvents(events: readonly PathEvent[]): ProbeStep[] {
  const steps: ProbeStep[] = [];
  for (const e of events) {
    steps.push(describeEvent(e));
    if (e.type === "connect" && e.proxyAuth === "Basic" && e.proxy.startsWith("http://")) {
      steps.push({ step: "proxy auth", ok: true, warning: true, detail: `${CLEAR_BASIC_WARNING} (${e.proxy})` });
    }
  }
  return steps;
}

export async function runProbe(connection: ConnectionInput, env: NodeJS.ProcessEnv): Promise<{ report: ProbeReport; exitCode: number }> {
  const events: PathEvent[] = [];
  const steps: ProbeStep[] = [];
  let client: WinRMClient | undefined;
  try {
    client = new WinRMClient(connection, { env, observer: (e) => events.push(e) });
    steps.push({ step: "rules", ok: true, detail: "the path is allowed (checked before sending anything)" });
    const id = await client.identify();
    const { stdout, exitCode } = await client.run("hostname");
    if (exitCode !== 0) throw new WinRMError("WINRM_COMMAND_FAILED", `hostname exited with code ${exitCode}`);
    steps.push(...describeEvents(events));
    const host = { productVendor: id.productVendor, productVersion: id.productVersion, hostname: stdout.trim() };
    steps.push({ step: "host", ok: true, detail: `${host.hostname}: ${host.productVendor}, ${host.productVersion}` });
    const ok = steps.every((s) => s.ok);
    return { report: { endpoint: client.connection.endpoint, ok, steps, events, host }, exitCode: ok ? 0 : EXIT_FAILED };
  } catch (err) {
    const refused = err instanceof InsecureProxyPathError || err instanceof ConfigurationError;
    steps.push(...describeEvents(events));
    const code = err instanceof WinRMError ? err.code : "ERROR";
    // The user gave flags: name them (--proxy-auth, not proxy.auth).
    const field = err instanceof ConfigurationError || err instanceof InsecureProxyPathError ? err.field : undefined;
    const message = messageWithFlags(err instanceof Error ? err.message : String(err), field);
    steps.push({ step: refused ? "rules" : "failed", ok: false, detail: message });
    const endpoint = client?.connection.endpoint ?? connection.endpoint;
    return { report: { endpoint, ok: false, steps, events, error: { code, message } }, exitCode: refused ? EXIT_REFUSED : EXIT_FAILED };
  } finally {
    if (client !== undefined) await closeWithin(client);
  }
}

export function formatReport(report: ProbeReport): string {
  const width = Math.max(...report.steps.map((s) => s.step.length));
  const lines = [`winrm-proxy probe ${report.endpoint}`];
  for (const s of report.steps) lines.push(`  ${!s.ok ? "FAIL" : s.warning === true ? "WARN" : "ok  "}  ${s.step.padEnd(width)}  ${s.detail}`);
  lines.push(report.ok ? "verdict: the path is allowed and works" : "verdict: the path does NOT work (see FAIL above)");
  return `${lines.join("\n")}\n`;
}

export async function probe(connection: ConnectionInput, json: boolean, env: NodeJS.ProcessEnv): Promise<number> {
  const { report, exitCode } = await runProbe(connection, env);
  process.stdout.write(json ? `${JSON.stringify(report)}\n` : formatReport(report));
  return exitCode;
}
