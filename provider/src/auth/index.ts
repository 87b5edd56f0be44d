/** Picks the AuthMechanism for a Connection's `auth` block. */
import { isIP } from "node:net";
import type { Connection } from "../connection.js";
import { ConfigurationError } from "../errors.js";
import type { AuthMechanism, Credentials } from "./mechanism.js";
import { NtlmMechanism } from "./ntlm.js";
import { BasicMechanism } from "./basic.js";
import { CertificateMechanism } from "./certificate.js";
import { gssapiAvailable, loadGssapi } from "./kerberos/gssapi.js";
import { KerberosMechanism } from "./kerberos/kerberosMechanism.js";
import { KerberosAvailability, NegotiateMechanism } from "./negotiate.js";
import { CredSSPMechanism } from "./credssp.js";

export type { AuthMechanism, MessageSealer, ChannelBindings, Credentials, MechanismName } from "./mechanism.js";

/** The URL's host without the brackets of an IPv6 literal: what the SPN and isIP see. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
}

export function createMechanism(auth: Connection["auth"], endpointUrl: string | URL): AuthMechanism {
  const url = typeof endpointUrl === "string" ? new URL(endpointUrl) : endpointUrl;
  const host = bareHost(url);
  const credentials: Credentials = {
    username: auth.username,
    password: auth.password,
    ...(auth.domain !== undefined ? { domain: auth.domain } : {}),
  };
  // The SPN of the WinRM service: "HTTP/<host>" (MS-WSMV 2.2.9.1.2; MS-NLMP 2.2.2.1 MsvAvTargetName for NTLM).
  const spn = auth.spn ?? `HTTP/${host}`;
  const ntlm = () =>
    // WinRM offers only "Negotiate" in WWW-Authenticate; pywinrm's "ntlm", WinRb and the Windows client all send raw
    // NTLMSSP under it (RFC 4559 4), so NTLM uses the Negotiate scheme.
    new NtlmMechanism({ credentials, scheme: "Negotiate", spn });
  switch (auth.mechanism) {
    case "ntlm":
      return ntlm();
    case "negotiate":
      return negotiate({
        credentials,
        spn,
        explicitSpn: auth.spn !== undefined,
        host,
        delegate: auth.delegate === true,
        field: "auth",
        mutual: true,
        ntlm,
      });
    case "kerberos":
      // Fails here, before any byte, when the addon is missing (ConfigurationError with how to build it).
      loadGssapi("auth.mechanism");
      // The "Kerberos" scheme with the raw krb5 token, as the Windows client sends it when Kerberos is asked for
      // (MS-WSMV 2.2.9.1.2.1; protocol application/HTTP-Kerberos-session-encrypted).
      return new KerberosMechanism({
        credentials,
        spn,
        scheme: "Kerberos",
        delegate: auth.delegate === true,
        field: "auth",
      });
    case "basic":
      return new BasicMechanism({ credentials });
    case "certificate":
      return new CertificateMechanism();
    case "credssp":
      // auth.delegate (connection.ts) and https:// (transport/policy.ts) are checked before this. The inner SPNEGO
      // negotiates Kerberos or NTLM exactly as auth "negotiate" does (auth/credsspInner.ts).
      return new CredSSPMechanism({
        credentials,
        ...(isIP(host) === 0 && { servername: host }),
        ...(auth.credsspAllowUnpatchedHosts === true && { allowUnpatchedHosts: true }),
        spn,
        inner: negotiate({
          credentials,
          spn,
          explicitSpn: auth.spn !== undefined,
          host,
          delegate: false,
          field: "auth",
          mutual: true,
          ntlm: () => new NtlmMechanism({ credentials, spn }),
        }),
      });
  }
}

/** Kerberos-first Negotiate with the NTLM fallback (auth/negotiate.ts). */
function negotiate(o: {
  credentials: Credentials;
  spn: string;
  explicitSpn: boolean;
  host: string;
  delegate: boolean;
  field: string;
  mutual: boolean;
  ntlm: () => AuthMechanism;
  /** Shared "Kerberos cannot start" memory; default a new one (the target's prototype lives as long as its client). */
  availability?: KerberosAvailability;
}): NegotiateMechanism {
  const ntlm = o.credentials.password !== "" ? o.ntlm : undefined;
  let skipReason: string | undefined;
  if (!o.explicitSpn && isIP(o.host) !== 0) {
    // No service principal names an IP address: Windows' Negotiate uses NTLM for http://10.0.0.5:5985 too.
    skipReason = `the host is an IP address (${o.host}), which no service principal names; give an SPN to use Kerberos`;
  } else if (!gssapiAvailable()) {
    skipReason = "the GSSAPI addon is not available";
  }
  if (skipReason !== undefined && ntlm === undefined) {
    // Neither can work: refuse before any byte is sent.
    throw new ConfigurationError(
      o.field === "auth" ? "auth.password" : "proxy.password",
      `is required: Kerberos cannot be used (${skipReason}) and NTLM needs a password`,
    );
  }
  const kerberos =
    skipReason === undefined
      ? new KerberosMechanism({
          credentials: o.credentials,
          spn: o.spn,
          scheme: "Negotiate",
          delegate: o.delegate,
          mutual: o.mutual,
          field: o.field,
        })
      : undefined;
  return new NegotiateMechanism({
    kerberos,
    ntlm,
    ...(skipReason !== undefined ? { skipReason } : {}),
    ...(o.availability !== undefined ? { availability: o.availability } : {}),
  });
}

/** What the proxy layer knows of the proxy's auth settings (a ResolvedProxy). */
export interface ProxyAuthSettings {
  readonly auth: "none" | "basic" | "negotiate" | "ntlm" | "kerberos";
  readonly credentials?: Credentials;
  readonly spn?: string;
  readonly url: URL;
}

/**
 * The proxy's "Kerberos cannot start" memory (negotiate.ts KerberosAvailability), one per proxy configuration object.
 * The target's Negotiate keeps its memory in the prototype that lives as long as the client; the proxy's mechanism is
 * made anew for every CONNECT (the offered schemes are known only from that 407), so without this every new tunnel
 * through a proxy whose Kerberos is unavailable would ask the (unreachable) KDC again. A client resolves its proxy once
 * (transport/policy.ts checkPolicy, kept in its TransportPlan), so keying on that object gives one memory per client
 * and proxy, as on the target side; another client (another object) asks again. Weak: it goes with the client.
 */
const proxyAvailability = new WeakMap<ProxyAuthSettings, KerberosAvailability>();

/** The KerberosAvailability shared by every proxy mechanism made for `settings` (see proxyAvailability). */
export function proxyKerberosAvailability(settings: ProxyAuthSettings): KerberosAvailability {
  let a = proxyAvailability.get(settings);
  if (a === undefined) {
    a = new KerberosAvailability();
    proxyAvailability.set(settings, a);
  }
  return a;
}

/**
 * The mechanism that answers a proxy's 407: the same AuthMechanism implementations as for the target (pypsrp's
 * HTTPProxy does the same), only the header pair differs (Proxy-Authenticate / Proxy-Authorization, RFC 9110
 * 11.7). NTLM to a proxy runs under whichever scheme it offers: "NTLM" (squid, ISA/TMG, MS-NTHT 2.2.3) or
 * "Negotiate" with raw NTLMSSP inside, as browsers send it. Returns undefined when the proxy offers none we may use
 * (the caller names what it offers).
 */
export function createProxyMechanism(
  settings: ProxyAuthSettings,
  offered: readonly string[],
  /** The Negotiate memory to share; default the one kept for `settings` (proxyKerberosAvailability). */
  availability?: KerberosAvailability,
): AuthMechanism | undefined {
  const has = (s: string) => offered.some((o) => o.toLowerCase() === s.toLowerCase());
  // Kerberos to a proxy may run on the ticket cache: no credentials given.
  const credentials: Credentials = settings.credentials ?? { username: "", password: "" };
  if (settings.auth === "none") return undefined;
  if (settings.credentials === undefined && settings.auth !== "kerberos" && settings.auth !== "negotiate") return undefined;
  const host = bareHost(settings.url);
  const spn = settings.spn ?? `HTTP/${host}`;
  switch (settings.auth) {
    case "basic":
      return has("Basic") ? new BasicMechanism({ credentials }) : undefined;
    case "ntlm": {
      const scheme = (["NTLM", "Negotiate"] as const).find((s) => has(s));
      return scheme === undefined ? undefined : proxyNtlm(credentials, scheme, spn);
    }
    case "negotiate": {
      // Negotiate to a proxy prefers Kerberos (SPNEGO), as browsers and Windows do; NTLM under whichever scheme is
      // offered otherwise.
      if (has("Negotiate")) {
        return negotiate({
          credentials,
          spn,
          explicitSpn: settings.spn !== undefined,
          host,
          delegate: false,
          field: "proxy.auth",
          // The proxy context authenticates the CONNECT only: squid's negotiate_kerberos_auth sends no AP-REP.
          mutual: false,
          // NTLM under its own scheme when the proxy offers it (squid: a Negotiate helper is often Kerberos-only),
          // else raw NTLMSSP under Negotiate.
          ntlm: () => proxyNtlm(credentials, has("NTLM") ? "NTLM" : "Negotiate", spn),
          // Kept across the client's tunnels: a new CONNECT does not pay an unreachable KDC again.
          availability: availability ?? proxyKerberosAvailability(settings),
        });
      }
      return has("NTLM") ? proxyNtlm(credentials, "NTLM", spn) : undefined;
    }
    case "kerberos": {
      // SPNEGO under "Negotiate" (RFC 4559, what squid's negotiate_kerberos_auth and curl --proxy-negotiate speak), or
      // the raw token when a proxy offers only "Kerberos".
      const scheme = has("Negotiate") ? "Negotiate" : has("Kerberos") ? "Kerberos" : undefined;
      if (scheme === undefined) return undefined;
      loadGssapi("proxy.auth");
      return new KerberosMechanism({ credentials, spn, scheme, mutual: false, field: "proxy.auth" });
    }
  }
}

function proxyNtlm(credentials: Credentials, scheme: "NTLM" | "Negotiate", spn: string): NtlmMechanism {
  // The proxy context authenticates the CONNECT only; nothing is signed or sealed with it.
  return new NtlmMechanism({ credentials, scheme, spn, sessionSecurity: false });
}
