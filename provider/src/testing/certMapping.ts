/**
 * winrm/config/service/certmapping of the emulated host, and its acceptor for certificate authentication (the WS-Man
 * https/mutual profile: `Authorization: http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual`, the
 * proof in the TLS handshake). As on Windows (`winrm create winrm/config/service/certmapping?Issuer=<CA thumbprint>
 * +Subject=<UPN or *>+URI=*`), an entry maps certificates issued by one CA (its SHA-1 thumbprint) whose SAN UPN
 * matches Subject (`*` for any, or a `*@domain` suffix) to a local user. Service/Auth/Certificate must be true.
 *
 * Refusals are what Windows answers: a bare 401 with the enabled schemes (pywinrm reports it as "the specified
 * credentials were rejected by the server") when no certificate came, it does not chain to a trusted CA, or no
 * entry maps it.
 */
import type { TLSSocket } from "node:tls";
import { X509Certificate } from "node:crypto";
import { certificateUpns } from "./clientCertificates.js";
import { negotiationServerOptions, type ClientCertNegotiation } from "./clientCertNegotiation.js";

export const MUTUAL_PROFILE_URI = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual";

export interface CertMappingEntry {
  /** SHA-1 thumbprint of the issuing CA certificate (hex, any case). */
  readonly issuer: string;
  /** UPN in the client certificate's SAN, `*`, or `*@domain`. */
  readonly subject: string;
  /** The local account the certificate logs on as. */
  readonly username: string;
}

export interface CertificateAuthOptions {
  /** The host's trusted root store for client certificates (PEM each). */
  readonly trustedCaPems: readonly string[];
  readonly mappings: readonly CertMappingEntry[];
  /**
   * When the listener asks for the certificate (clientCertNegotiation.ts): "renegotiate" (default, as an HTTPS
   * binding without clientcertnegotiation: after the https/mutual request, by TLS 1.2 renegotiation) or "enable"
   * (`netsh http ... clientcertnegotiation=enable`: in the first handshake).
   */
  readonly clientCertNegotiation?: ClientCertNegotiation;
}

/** TLS server options for the listener: when it asks for the client certificate (clientCertNegotiation.ts). */
export function certificateServerOptions(opts: CertificateAuthOptions | undefined): ReturnType<typeof negotiationServerOptions> | Record<string, never> {
  if (opts === undefined) return {};
  return negotiationServerOptions(opts.clientCertNegotiation ?? "renegotiate", [...opts.trustedCaPems]);
}

export type CertificateVerdict = { user: string } | { refused: string };

export function acceptClientCertificate(socket: TLSSocket, opts: CertificateAuthOptions | undefined): CertificateVerdict {
  if (opts === undefined) return { refused: "certificate authentication not configured" };
  const peer = socket.getPeerCertificate(false);
  if (peer === null || typeof peer !== "object" || peer.raw === undefined) return { refused: "no client certificate" };
  if (!socket.authorized) return { refused: `client certificate not trusted (${String(socket.authorizationError)})` };
  const cert = new X509Certificate(peer.raw);
  const issuer = opts.trustedCaPems.map((p) => new X509Certificate(p)).find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
  if (issuer === undefined) return { refused: "client certificate not issued by a trusted CA" };
  const issuerThumbprint = issuer.fingerprint.replaceAll(":", "").toUpperCase();
  const upns = certificateUpns(peer.raw);
  const entry = opts.mappings.find((m) => m.issuer.replaceAll(" ", "").toUpperCase() === issuerThumbprint && upns.some((u) => subjectMatches(m.subject, u)));
  if (entry === undefined) return { refused: "client certificate not mapped (winrm/config/service/certmapping)" };
  return { user: entry.username };
}

function subjectMatches(pattern: string, upn: string): boolean {
  if (pattern === "*") return true;
  if (pattern.startsWith("*@")) return upn.toLowerCase().endsWith(pattern.slice(1).toLowerCase());
  return pattern.toLowerCase() === upn.toLowerCase();
}
