/**
 * The rules checked before any byte is sent. A refused configuration never opens a socket.
 *
 * Microsoft, "Proxy Servers and WinRM": never send unencrypted WinRM traffic over HTTP (through a proxy or not), and
 * the server must enforce encryption (AllowUnencrypted=false, MS-WSMV 3.1.4.1.29.1 "MUST NOT accept"). So on http://
 * every SOAP message is sealed with the authentication context's keys (MS-WSMV 2.2.9.1); Basic cannot seal.
 */
import type { Connection } from "../connection.js";
import type { MechanismName } from "../auth/mechanism.js";
import { ConfigurationError, InsecureProxyPathError } from "../errors.js";

export const RULE_NO_CLEARTEXT_OVER_HTTP = "never send an unencrypted WinRM message over HTTP";

const FIX_CLEARTEXT =
  'use an https:// endpoint (port 5986), or auth.mechanism "negotiate"/"ntlm" with messageEncryption "auto" or "always"';

/** Mechanisms that can seal WinRM messages once authenticated (MS-WSMV 2.2.9.1.1-2.2.9.1.3). */
const CAN_SEAL: Record<MechanismName, boolean> = {
  negotiate: true,
  ntlm: true,
  kerberos: true,
  credssp: true,
  basic: false,
};

export function mechanismCanSeal(m: MechanismName): boolean {
  return CAN_SEAL[m];
}

/** What the transport will do, decided from the configuration alone. */
export interface TransportPlan {
  readonly scheme: "http" | "https";
  /** Seal every SOAP message in multipart/encrypted. */
  readonly encrypt: boolean;
  readonly mechanism: MechanismName;
}

/** Throws InsecureProxyPathError / ConfigurationError when the configuration would break a rule. */
export function checkPolicy(conn: Connection): TransportPlan {
  const scheme = new URL(conn.endpoint).protocol === "https:" ? "https" : "http";
  const mechanism = conn.auth.mechanism;
  const canSeal = mechanismCanSeal(mechanism);

  if (conn.messageEncryption === "always" && !canSeal) {
    throw new ConfigurationError(
      "messageEncryption",
      `"always" needs a mechanism that can seal messages, and ${mechanism} cannot; use auth.mechanism ` +
        `"negotiate" or "ntlm", or messageEncryption "auto" over https://`,
    );
  }
  if (scheme === "http") {
    if (mechanism === "basic") {
      throw new InsecureProxyPathError(
        RULE_NO_CLEARTEXT_OVER_HTTP,
        "auth.mechanism",
        `basic over http:// would send the password and every message in clear (rule: ` +
          `${RULE_NO_CLEARTEXT_OVER_HTTP}); fix: ${FIX_CLEARTEXT}`,
      );
    }
    if (conn.messageEncryption === "never") {
      throw new InsecureProxyPathError(
        RULE_NO_CLEARTEXT_OVER_HTTP,
        "messageEncryption",
        `"never" over http:// would send every message in clear (rule: ${RULE_NO_CLEARTEXT_OVER_HTTP}); fix: ${FIX_CLEARTEXT}`,
      );
    }
  }
  if (conn.tls.ca !== undefined && scheme === "http") {
    throw new ConfigurationError("tls.ca", "applies only to https:// endpoints; remove it or use https://");
  }
  const encrypt = conn.messageEncryption === "always" || (conn.messageEncryption === "auto" && scheme === "http");
  return { scheme, encrypt, mechanism };
}
