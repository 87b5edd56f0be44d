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
