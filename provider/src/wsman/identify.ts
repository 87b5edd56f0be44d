/**
 * WS-Management Identify (DMTF DSP0226 11, MS-WSMV 3.1.4.16): an anonymous request without WS-Addressing headers
 * whose body is wsmid:Identify; Windows answers with protocol version, vendor and "OS: x SP: y Stack: z".
 * The server side (recognising the request, writing the answer) is provider/src/testing/wsman/identify.ts.
 */

import { ProtocolError } from "../errors.js";
import { NS } from "./namespaces.js";
import { child, childrenOf, parseEnvelope, textOf } from "./parse.js";

export interface IdentifyResponse {
  protocolVersion: string;
  productVendor: string;
  productVersion: string;
  securityProfiles: string[];
}

/** The Identify request: empty s:Header, body wsmid:Identify (no Action, To, MessageID: DSP0226 11.1). */
export function buildIdentifyRequest(): string {
  return (
    `<s:Envelope xmlns:s="${NS.s}" xmlns:wsmid="${NS.wsmid}">` +
    `<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`
  );
}

export function parseIdentifyResponse(xml: string): IdentifyResponse {
  const env = parseEnvelope(xml);
  const r = child(env.body, NS.wsmid, "IdentifyResponse");
  if (!r) throw new ProtocolError("Identify response without wsmid:IdentifyResponse");
  return {
    protocolVersion: textOf(child(r, NS.wsmid, "ProtocolVersion")),
    productVendor: textOf(child(r, NS.wsmid, "ProductVendor")),
    productVersion: textOf(child(r, NS.wsmid, "ProductVersion")),
    securityProfiles: childrenOf(child(r, NS.wsmid, "SecurityProfiles"), NS.wsmid, "SecurityProfileName").map(textOf),
  };
}

/** "OS: 10.0.17763 SP: 0.0 Stack: 3.0" -> { os, sp, stack }. Throws ProtocolError on another shape. */
export function parseProductVersion(s: string): { os: string; sp: string; stack: string } {
  const m = /^\s*OS:\s*(\S+)\s+SP:\s*(\S+)\s+Stack:\s*(\S+)\s*$/.exec(s);
  // The host's text: quoted only in part, so a huge value does not become a huge message.
  if (!m) throw new ProtocolError(`unexpected ProductVersion ${JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s)}`);
  return { os: m[1] as string, sp: m[2] as string, stack: m[3] as string };
}
