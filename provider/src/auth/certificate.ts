/**
 * WS-Management certificate authentication: the `https/mutual` security profile (DSP0226 C.3.5; MS-WSMV 3.1.4.1.x:
 * the client authenticates with its TLS client certificate, which the host maps to a local account through
 * winrm/config/service/certmapping). Nothing is exchanged at the HTTP layer: the TLS handshake carries the proof, and
 * every request names the profile in its `Authorization` header, as Windows' client and pywinrm's `certificate`
 * transport send it. The certificate and key are TLS options (transport/tls.ts), never a token here.
 */
import { AuthenticationError, ClientCertificateNegotiationError } from "../errors.js";
import type { AuthMechanism, MessageSealer, StepInput } from "./mechanism.js";

/** The whole Authorization header value: the profile URI, no scheme token after it. */
export const MUTUAL_PROFILE_URI = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual";

export class CertificateMechanism implements AuthMechanism {
  readonly name = "certificate" as const;
  readonly scheme = MUTUAL_PROFILE_URI;
  readonly canSeal = false;
  private sent = false;

  get complete(): boolean {
    return this.sent;
  }

  get stage(): string {
    return this.sent ? "complete" : "client certificate";
  }

  async step(_input: StepInput): Promise<Uint8Array | undefined> {
    if (this.sent) return undefined;
    this.sent = true;
    return new Uint8Array(0);
  }

  sealer(): MessageSealer {
    throw new AuthenticationError("certificate", this.stage, "certificate authentication relies on TLS and cannot seal messages");
  }

  fresh(): CertificateMechanism {
    return new CertificateMechanism();
  }
}

/**
 * The error for a 401 to an https/mutual request. `asked`: whether the host's TLS session requested the client
 * certificate (transport/tls.ts hostAskedForClientCertificate). Asked and refused: the host saw the certificate and
 * did not map it; never asked: the listener never negotiates client certificates (ClientCertificateNegotiationError,
 * with what to check on the host); unknown: the general refusal.
 */
export function certificateRefused(asked: boolean | undefined, offeredText: string): Error {
  if (asked === false) return new ClientCertificateNegotiationError("not-requested");
  const why =
    asked === true
      ? "the host asked for the client certificate and refused it; check its winrm/config/service/certmapping " +
        "(issuer CA thumbprint and UPN subject), that the issuing CA is in its trusted roots, and the Client Authentication EKU"
      : "the server refused the certificate";
  return new AuthenticationError("certificate", "request", `${why}${offeredText}`, { httpStatus: 401 });
}
