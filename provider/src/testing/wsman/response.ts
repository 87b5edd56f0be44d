/**
 * WS-Management response envelopes as Windows writes them, for the emulated host: root xml:lang="en-US", a:Action
 * (...Response), a new a:MessageID, a:To anonymous, a:RelatesTo = the request's MessageID (MS-WSMV 4.7). Client
 * requests are built by provider/src/wsman/envelope.ts.
 */

import { newMessageId, xmlEscape } from "../../wsman/envelope.js";
import { ACTION, ANONYMOUS, NS } from "../../wsman/namespaces.js";

type RootPrefix = "s" | "a" | "x" | "n" | "w" | "rsp" | "p";
/** What Windows declares on the root of a response whose action is not listed below. */
const DEFAULT_RESPONSE_PREFIXES: readonly RootPrefix[] = ["s", "a", "x", "w", "rsp", "p"];
/**
 * The namespaces Windows declares on s:Envelope, in its order, per response action (as real Server 2008 R2 and later
 * hosts answer; checked by test/conformance/replay-emulator.test.ts). The set follows the action, not the body: a
 * DeleteResponse with an empty body still declares w and p, a GetResponse declares x; a body that needs another
 * prefix (rsp:Shell items of an EnumerateResponse) declares it on its own element.
 */
const RESPONSE_PREFIXES: ReadonlyMap<string, readonly RootPrefix[]> = new Map([
  [ACTION.getResponse, ["s", "a", "x", "w", "p"]],
  [ACTION.deleteResponse, ["s", "a", "w", "p"]],
  [ACTION.receiveResponse, ["s", "a", "w", "rsp", "p"]],
  [ACTION.enumerateResponse, ["s", "a", "n", "w", "p"]],
]);

/**
 * The root declarations of a response: Windows' set for the action, plus (never expected for the bodies the emulator
 * writes) any of the default prefixes the body uses without declaring, so the document always stays well-formed.
 */
function responseNamespaces(action: string, body: string): string {
  const prefixes = [...(RESPONSE_PREFIXES.get(action) ?? DEFAULT_RESPONSE_PREFIXES)];
  for (const extra of DEFAULT_RESPONSE_PREFIXES) {
    if (!prefixes.includes(extra) && body.includes(`<${extra}:`) && !body.includes(`xmlns:${extra}=`)) prefixes.push(extra);
  }
  return prefixes.map((prefix) => `xmlns:${prefix}="${NS[prefix]}"`).join(" ");
}

export interface ResponseSpec {
  action: string;
  /** The request's a:MessageID. */
  relatesTo: string;
  /** Inner XML of s:Body. */
  body?: string;
  /** a:MessageID of the response; a fresh uuid: GUID when undefined. */
  messageId?: string;
}

/** A server response envelope as Windows writes it (see WinRb open_shell_v2.xml, MS-WSMV 4.7). */
export function buildResponse(spec: ResponseSpec): string {
  const messageId = spec.messageId ?? newMessageId();
  return (
    `<s:Envelope xml:lang="en-US" ${responseNamespaces(spec.action, spec.body ?? "")}><s:Header>` +
    `<a:Action>${xmlEscape(spec.action)}</a:Action>` +
    `<a:MessageID>${xmlEscape(messageId)}</a:MessageID>` +
    `<a:To>${ANONYMOUS}</a:To>` +
    `<a:RelatesTo>${xmlEscape(spec.relatesTo)}</a:RelatesTo>` +
    `</s:Header><s:Body>${spec.body ?? ""}</s:Body></s:Envelope>`
  );
}
