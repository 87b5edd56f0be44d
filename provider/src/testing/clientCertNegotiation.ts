/**
 * When the emulated listener asks for the client certificate, as http.sys does for WinRM certificate authentication
 * (the WS-Man https/mutual profile):
 * - "renegotiate" (the default of an HTTPS binding, `clientcertnegotiation=disable` in `netsh http show sslcert`):
 *   the first handshake asks for nothing; when a request names the https/mutual profile on a connection without a
 *   certificate, the host renegotiates (TLS 1.2 HelloRequest, RFC 5246 7.4.1.1) with a CertificateRequest, then
 *   answers. Windows asks over TLS 1.3 by post-handshake authentication instead (RFC 8446 4.6.2), which Node's TLS
 *   cannot send; a listener in this mode therefore offers TLS 1.2 at most, as the Windows versions it emulates
 *   (Server 2019 and older) do.
 * - "enable" (`clientcertnegotiation=enable`): the CertificateRequest is in the first handshake (any TLS version).
 * The certificate, once sent, belongs to the connection (later requests are not asked again).
 */
import { constants } from "node:crypto";
import type { TLSSocket } from "node:tls";

export type ClientCertNegotiation = "renegotiate" | "enable";

/** How long the host waits for the client's renegotiation handshake before giving up on the connection. */
const RENEGOTIATION_MS = 10_000;

/** The listener's TLS server options for certificate authentication in this mode (trusted client CAs `ca`). */
export function negotiationServerOptions(
  mode: ClientCertNegotiation,
  ca: string[],
): { requestCert: boolean; rejectUnauthorized: false; ca: string[]; secureOptions?: number; maxVersion?: "TLSv1.2" } {
  // The trusted store is checked by certMapping.ts, so an untrusted certificate gets the HTTP 401 Windows sends
  // rather than a TLS alert.
  if (mode === "enable") return { requestCert: true, rejectUnauthorized: false, ca };
  return {
    requestCert: false,
    rejectUnauthorized: false,
    ca,
    // A renegotiation that resumed the session would be abbreviated (no CertificateRequest): a full handshake, as
    // SChannel's renegotiation for a client certificate is.
    secureOptions: constants.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION,
    maxVersion: "TLSv1.2",
  };
}

/**
 * Before an https/mutual request is judged: in "renegotiate" mode, a connection that has sent no certificate yet is
 * asked for one now. Resolves when there is nothing more to ask (the certificate may still be missing: the client
 * had none or declined); rejects when the renegotiation failed or timed out (the connection is then dropped, as
 * http.sys drops it).
 */
export async function requestClientCertificate(socket: TLSSocket, mode: ClientCertNegotiation): Promise<void> {
  if (mode === "enable") return;
  const peer = socket.getPeerCertificate(false);
  if (peer !== null && typeof peer === "object" && peer.raw !== undefined) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("client did not complete the renegotiation")), RENEGOTIATION_MS);
    const started = socket.renegotiate({ requestCert: true, rejectUnauthorized: false }, (err) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
    if (!started) {
      clearTimeout(timer);
      reject(new Error(`renegotiation refused on ${socket.getProtocol() ?? "this connection"}`));
    }
  });
}
