/**
 * WS-Management certificate authentication: the `https/mutual` security profile (DSP0226 C.3.5; MS-WSMV 3.1.4.1.x:
 * the client authenticates with its TLS client certificate, which the host maps to a local account through
 * winrm/config/service/certmapping). Nothing is exchanged at the HTTP layer: the TLS handshake carries the proof, and
 * every request names the profile in its `Authorization` header, as Windows' client and pywinrm's `certificate`
 * transport send it. The certificate and key are TLS options (transport/tls.ts), never a token here.
 */
import { AuthenticationError } from "../errors.js";
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
