/** Picks the AuthMechanism for a Connection's `auth` block. */
import type { Connection } from "../connection.js";
import { ConfigurationError } from "../errors.js";
import type { AuthMechanism, Credentials } from "./mechanism.js";
import { NtlmMechanism } from "./ntlm.js";
import { BasicMechanism } from "./basic.js";

export type { AuthMechanism, MessageSealer, ChannelBindings, Credentials, MechanismName } from "./mechanism.js";

export function createMechanism(auth: Connection["auth"], endpointUrl: string | URL): AuthMechanism {
  const url = typeof endpointUrl === "string" ? new URL(endpointUrl) : endpointUrl;
  const credentials: Credentials = {
    username: auth.username,
    password: auth.password,
    ...(auth.domain !== undefined ? { domain: auth.domain } : {}),
  };
  switch (auth.mechanism) {
    case "negotiate":
    case "ntlm":
      // WinRM offers only "Negotiate" in WWW-Authenticate; pywinrm's "ntlm", WinRb and the Windows client all send raw
      // NTLMSSP under it (protocol.md 2.2), so both names use the Negotiate scheme with NTLM inside.
      return new NtlmMechanism({
        credentials,
        scheme: "Negotiate",
        // MS-NLMP 2.2.2.1 MsvAvTargetName: the SPN of the service, "HTTP/<host>" for WinRM.
        spn: auth.spn ?? `HTTP/${url.hostname.replace(/^\[|\]$/g, "")}`,
      });
    case "basic":
      return new BasicMechanism({ credentials });
    case "kerberos":
    case "credssp":
      throw new ConfigurationError(
        "auth.mechanism",
        `"${auth.mechanism}" is not yet supported; use "negotiate" (NTLM) for now`,
      );
  }
}

/** What the proxy layer knows of the proxy's auth settings (a ResolvedProxy). */
export interface ProxyAuthSettings {
  readonly auth: "none" | "basic" | "negotiate" | "ntlm" | "kerberos";
  readonly credentials?: Credentials;
  readonly spn?: string;
  readonly url: URL;
}

/**
 * The mechanism that answers a proxy's 407: the same AuthMechanism implementations as for the target (pypsrp's
 * HTTPProxy does the same), only the header pair differs (Proxy-Authenticate / Proxy-Authorization, RFC 9110
 * 11.7). NTLM to a proxy runs under whichever scheme it offers: "NTLM" (squid, ISA/TMG, MS-NTHT 2.2.3) or
 * "Negotiate" with raw NTLMSSP inside, as browsers send it. Returns undefined when the proxy offers none we may use
 * (the caller names what it offers).
 */
export function createProxyMechanism(settings: ProxyAuthSettings, offered: readonly string[]): AuthMechanism | undefined {
  const has = (s: string) => offered.some((o) => o.toLowerCase() === s.toLowerCase());
  const credentials = settings.credentials;
  if (credentials === undefined || settings.auth === "none") return undefined;
  switch (settings.auth) {
    case "basic":
      return has("Basic") ? new BasicMechanism({ credentials }) : undefined;
    case "negotiate":
    case "ntlm": {
      const order = settings.auth === "ntlm" ? (["NTLM", "Negotiate"] as const) : (["Negotiate", "NTLM"] as const);
      const scheme = order.find((s) => has(s));
      if (scheme === undefined) return undefined;
      return new NtlmMechanism({
        credentials,
        scheme,
        spn: settings.spn ?? `HTTP/${settings.url.hostname.replace(/^\[|\]$/g, "")}`,
        // The proxy context authenticates the CONNECT only; nothing is signed or sealed with it.
        sessionSecurity: false,
      });
    }
    case "kerberos":
      throw new ConfigurationError("proxy.auth", '"kerberos" is not yet supported (issue 4); use "negotiate" (NTLM)');
  }
}
