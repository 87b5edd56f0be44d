/**
 * MaxEnvelopeSize as the emulated host enforces it (MS-WSMV 2.2.4.20, 3.1.4.14). A response may not exceed the
 * w:MaxEnvelopeSize the request declared, nor the host's winrm/config MaxEnvelopeSizekb (150 KiB on WinRM 1.1/2.0,
 * 500 KiB on 3.0 by default: provider/src/testing/host/profiles.ts; an administrator may lower it). Windows fills a
 * ReceiveResponse up to that size; so does the emulator, by giving the shell service a payload budget that fits once
 * base64-encoded and wrapped in the envelope.
 *
 * A request that declares more than MaxEnvelopeSizekb is refused before its action runs, with the WS-Management
 * EncodingLimit fault (DSP0226 faultDetail/MaxEnvelopeSize) carrying ERROR_WSMAN_MAX_ENVELOPE_SIZE, 0x80338047, whose
 * text in the Windows SDK's wsmerror.h is the one below. The fault does not say what the limit is.
 */
import { NS } from "../wsman/namespaces.js";
import { child, textOf, type Envelope } from "../wsman/parse.js";
import { faultReply, WSMAN, type Reply } from "./reply.js";

/** The declared w:MaxEnvelopeSize, or undefined when absent or not a number. */
function declaredEnvelopeSize(env: Envelope): number | undefined {
  const t = textOf(child(env.header, NS.w, "MaxEnvelopeSize"));
  return /^\d{1,10}$/.test(t) ? Number(t) : undefined;
}

/** The fault Windows answers when the request declares a MaxEnvelopeSize over the host's MaxEnvelopeSizekb. */
export function envelopeSizeFault(computerName: string, env: Envelope, hostMaxKb: number): Reply | undefined {
  const asked = declaredEnvelopeSize(env);
  if (asked === undefined || asked <= hostMaxKb * 1024) return undefined;
  return faultReply(computerName, env, {
    code: "s:Sender",
    subcode: "w:EncodingLimit",
    reason: "The maximum envelope size in the request is too large. Change the maximum envelope size and try the request again. ",
    faultDetail: "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/MaxEnvelopeSize",
    wsmanCode: WSMAN.maxEnvelopeSize,
  }, `MaxEnvelopeSize ${asked} over MaxEnvelopeSizekb ${hostMaxKb}`);
}

/** Envelope, header and per-rsp:Stream markup around the base64 data: generous, so the response always fits. */
const ENVELOPE_OVERHEAD = 4096;
const PER_STREAM_ELEMENT = 160;

/** The envelope size this response may use: the request's w:MaxEnvelopeSize, capped by the host's configuration. */
export function allowedEnvelopeSize(env: Envelope, hostMaxKb: number): number {
  const hostMax = hostMaxKb * 1024;
  return Math.min(declaredEnvelopeSize(env) ?? hostMax, hostMax);
}

/** Raw payload bytes a ReceiveResponse may carry within `envelopeSize` when split into `elementBytes` elements. */
export function receivePayloadBudget(envelopeSize: number, elementBytes: number): number {
  const room = envelopeSize - ENVELOPE_OVERHEAD;
  // Each element of n bytes costs 4*ceil(n/3) characters of base64 plus its markup.
  const perElement = 4 * Math.ceil(elementBytes / 3) + PER_STREAM_ELEMENT;
  const elements = Math.max(1, Math.floor(room / perElement));
  return elements * elementBytes;
}
