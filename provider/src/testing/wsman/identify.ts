/**
 * WS-Management Identify, server side, for the emulated host (DMTF DSP0226 11, MS-WSMV 3.1.4.16): recognising the
 * request and writing the answer as Windows does. The client side is provider/src/wsman/identify.ts.
 */

import { xmlEscape } from "../../wsman/envelope.js";
import { NS } from "../../wsman/namespaces.js";
import { child, parseEnvelope } from "../../wsman/parse.js";

/** True when the envelope is an Identify request (what a server dispatches on). */
export function isIdentifyRequest(xml: string): boolean {
  const env = parseEnvelope(xml);
  return child(env.body, NS.wsmid, "Identify") !== undefined && env.action === undefined;
}

/**
 * The Identify response as Windows writes it, wsmid declared on IdentifyResponse. Authenticated (Server 2012 R2):
 * `<s:Envelope xml:lang="en-US" xmlns:s=...><s:Header></s:Header>`; anonymous (`WSMANIDENTIFY: unauthenticated`,
 * MS-WSMV 3.1.4.16.1): no xml:lang and `<s:Header/>`.
 */
export function buildIdentifyResponse(r: {
  protocolVersion: string;
  productVendor: string;
  productVersion: string;
  securityProfiles?: string[];
  /** The answer to an unauthenticated Identify. */
  anonymous?: boolean;
}): string {
  const profiles =
    r.securityProfiles && r.securityProfiles.length > 0
      ? `<wsmid:SecurityProfiles>${r.securityProfiles
          .map((p) => `<wsmid:SecurityProfileName>${xmlEscape(p)}</wsmid:SecurityProfileName>`)
          .join("")}</wsmid:SecurityProfiles>`
      : "";
  return (
    (r.anonymous === true
      ? `<s:Envelope xmlns:s="${NS.s}"><s:Header/><s:Body>`
      : `<s:Envelope xml:lang="en-US" xmlns:s="${NS.s}"><s:Header></s:Header><s:Body>`) +
    `<wsmid:IdentifyResponse xmlns:wsmid="${NS.wsmid}">` +
    `<wsmid:ProtocolVersion>${xmlEscape(r.protocolVersion)}</wsmid:ProtocolVersion>` +
    `<wsmid:ProductVendor>${xmlEscape(r.productVendor)}</wsmid:ProductVendor>` +
    `<wsmid:ProductVersion>${xmlEscape(r.productVersion)}</wsmid:ProductVersion>` +
    `${profiles}</wsmid:IdentifyResponse></s:Body></s:Envelope>`
  );
}
