/**
 * WS-Management Identify (DMTF DSP0226 11, MS-WSMV 3.1.4.16): an anonymous request without WS-Addressing headers
 * whose body is wsmid:Identify; Windows answers with protocol version, vendor and "OS: x SP: y Stack: z".
 */

import { ProtocolError } from "../errors.js";
import { xmlEscape } from "./envelope.js";
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

/** True when the envelope is an Identify request (what a server dispatches on). */
export function isIdentifyRequest(xml: string): boolean {
  const env = parseEnvelope(xml);
  return child(env.body, NS.wsmid, "Identify") !== undefined && env.action === undefined;
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

/** "OS: 10.0.17763 SP: 0.0 Stack: 3.0" -> { os, sp, stack }. Throws ProtocolError on another shape. */
export function parseProductVersion(s: string): { os: string; sp: string; stack: string } {
  const m = /^\s*OS:\s*(\S+)\s+SP:\s*(\S+)\s+Stack:\s*(\S+)\s*$/.exec(s);
  // The host's text: quoted only in part, so a huge value does not become a huge message.
  if (!m) throw new ProtocolError(`unexpected ProductVersion ${JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s)}`);
  return { os: m[1] as string, sp: m[2] as string, stack: m[3] as string };
}
