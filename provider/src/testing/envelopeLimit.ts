/**
 * MaxEnvelopeSize as the emulated host enforces it (MS-WSMV 2.2.4.20, 3.1.4.14). A response may not exceed the
 * w:MaxEnvelopeSize the request declared, nor the host's MaxEnvelopeSizekb (150 KiB on WinRM 1.1/2.0, 500 KiB on
 * 3.0: provider/src/testing/host/profiles.ts). Windows fills a ReceiveResponse up to that size; so does the emulator, by
 * giving the shell service a payload budget that fits once base64-encoded and wrapped in the envelope.
 */
import { NS } from "../wsman/namespaces.js";
import { child, textOf, type Envelope } from "../wsman/parse.js";

/** Envelope, header and per-rsp:Stream markup around the base64 data: generous, so the response always fits. */
const ENVELOPE_OVERHEAD = 4096;
const PER_STREAM_ELEMENT = 160;

/** The envelope size this response may use: the request's w:MaxEnvelopeSize, capped by the host's configuration. */
export function allowedEnvelopeSize(env: Envelope, hostMaxKb: number): number {
  const hostMax = hostMaxKb * 1024;
  const t = textOf(child(env.header, NS.w, "MaxEnvelopeSize"));
  const asked = /^\d{1,9}$/.test(t) ? Number(t) : hostMax;
  return Math.min(asked, hostMax);
}

/** Raw payload bytes a ReceiveResponse may carry within `envelopeSize` when split into `elementBytes` elements. */
export function receivePayloadBudget(envelopeSize: number, elementBytes: number): number {
  const room = envelopeSize - ENVELOPE_OVERHEAD;
  // Each element of n bytes costs 4*ceil(n/3) characters of base64 plus its markup.
  const perElement = 4 * Math.ceil(elementBytes / 3) + PER_STREAM_ELEMENT;
  const elements = Math.max(1, Math.floor(room / perElement));
  return elements * elementBytes;
}
