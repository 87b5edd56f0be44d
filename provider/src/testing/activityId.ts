/**
 * p:ActivityId (MS-WSMV 2.2.4.2, the Microsoft extension header): some Windows hosts write one in every response
 * header, right after a:MessageID, successes and faults alike; others never do (it follows the host, not the
 * response: requests of the same shape get it from one host and not from another). The emulator writes it only when
 * the host is set up to (`activityIds` of startEmulatedHost).
 */
import { randomUUID } from "node:crypto";
import type { Reply } from "./reply.js";

const MESSAGE_ID_END = "</a:MessageID>";

/** `reply` with a fresh p:ActivityId after the header's a:MessageID (a reply without one, e.g. Identify, as it is). */
export function withActivityId(reply: Reply): Reply {
  const soap = reply.soap;
  if (soap === undefined) return reply;
  const headerEnd = soap.indexOf("</s:Header>");
  const at = soap.indexOf(MESSAGE_ID_END);
  if (at < 0 || headerEnd < 0 || at > headerEnd) return reply;
  const cut = at + MESSAGE_ID_END.length;
  // Windows writes an upper-case GUID without braces, e.g. 1A2F2108-D2BA-0001-955F-301ABAD2D301.
  return { ...reply, soap: `${soap.slice(0, cut)}<p:ActivityId>${randomUUID().toUpperCase()}</p:ActivityId>${soap.slice(cut)}` };
}
