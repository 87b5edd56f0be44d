/** The connection rules of `auth.mechanism: "credssp"` (docs/credssp.md), kept apart from the other mechanisms'. */
import { isIP } from "node:net";
import type { Connection } from "../connection.js";
import { ConfigurationError } from "../errors.js";
import { CredSSPMechanism } from "./credssp.js";
import type { AuthMechanism, Credentials } from "./mechanism.js";

export function credssp(auth: Connection["auth"], credentials: Credentials, url: URL, host: string, spn: string): AuthMechanism {
  // CredSSP hands the password itself to the host (MS-CSSP 3.1.5 TSCredentials): never without the user saying so.
  if (auth.delegate !== true) {
    throw new ConfigurationError(
      "auth.delegate",
      'must be true with auth.mechanism "credssp": CredSSP delegates your password to the host, which can then act as you ' +
        "on any other machine; set it to accept that (docs/credssp.md), or use \"negotiate\"",
    );
  }
  if (credentials.password === "") {
    throw new ConfigurationError("auth.password", 'is required with auth.mechanism "credssp" (the password is what it delegates)');
  }
  if (url.protocol !== "https:") {
    throw new ConfigurationError(
      "auth.mechanism",
      '"credssp" over http:// needs CredSSP message encryption, which this version does not have yet; use an https:// endpoint',
    );
  }
  return new CredSSPMechanism({ credentials, ...(isIP(host) === 0 && { servername: host }), spn });
}
