/**
 * Which faults the client may act on when they came in clear. Two faults make the client send a request again, which
 * is safe only because the host refused the first one before running it: the refusal of the MaxEnvelopeSize
 * (envelopeSize.ts: the request is re-sent at the host's size) and a kept shell that is gone (client.ts: the command
 * runs in a fresh shell). On a session that seals its messages (http://, MS-WSMV 2.2.9.1) the host seals its faults
 * too (MS-WSMV 2.2.4.43), so such a fault in clear is anyone's on the path: someone who let a Command through and
 * answered it with one would have it run twice. It becomes a ProtocolError (the fault as its cause), never acted on.
 */
import { ProtocolError, type WSManFaultError } from "./errors.js";
import { isEnvelopeSizeRefused } from "./envelopeSize.js";
import { isShellGone } from "./shell/keptShell.js";

export function faultToActOn(fault: WSManFaultError, opts: { sessionSeals: boolean; answerSealed: boolean }): Error {
  if (!opts.sessionSeals || opts.answerSealed) return fault;
  if (!isEnvelopeSizeRefused(fault) && !isShellGone(fault)) return fault;
  return new ProtocolError(
    "the host's answer to this request is a fault that would make the client send it again, and it came unsealed on " +
      "a session whose messages are sealed: not trusted, nothing is re-sent (something on the path may have answered " +
      "in the host's place)",
    { cause: fault },
  );
}
