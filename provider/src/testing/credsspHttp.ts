/**
 * The emulated host's CredSSP over HTTP (MS-WSMV 2.2.9.1.3). Over an http:// listener there is no listener
 * certificate, so the CredSSP TLS session's server end uses a self-signed one made on first use, as Windows' CredSSP
 * provider does with its own self-signed certificate (the client authenticates it by the public-key binding of
 * MS-CSSP 3.1.5, not by a CA). Sealed requests are opened with the host's side of the session.
 */
import type { RecordSealer } from "../auth/mechanism.js";
import { openBody } from "../auth/sealedBody.js";
import { generateTlsMaterial, type TlsMaterial } from "./tls.js";

/**
 * The most plaintext one sealed request may carry: Windows' MaxEnvelopeSizekb default is 500 KiB (512000 bytes); a
 * Send of stdin is below it. A bound, not a host setting.
 */
export const MAX_SEALED_REQUEST_PLAINTEXT = 512_000;

/** A self-signed certificate for the CredSSP TLS session of an HTTP listener, named after the computer. */
export function credsspHttpCertificate(computerName: string): Promise<TlsMaterial> {
  return generateTlsMaterial({ dnsNames: [computerName.toLowerCase()], ipAddresses: [] });
}

/** Open one CredSSP-sealed request body: its SOAP text, or why it was refused (the context is then gone). */
export async function openCredSSPRequest(
  sealer: RecordSealer,
  contentType: string,
  body: Uint8Array,
): Promise<{ xml: string } | { refused: string }> {
  try {
    const opened = await openBody(sealer, contentType, body, { maxPlaintext: MAX_SEALED_REQUEST_PLAINTEXT, sender: "the client" });
    return { xml: opened.plain.toString("utf8") };
  } catch (e) {
    return { refused: `cannot unseal: ${e instanceof Error ? e.message : String(e)}` };
  }
}
