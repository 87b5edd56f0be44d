/**
 * MaxEnvelopeSize: the size the client declares per WinRM stack, and the emulated host filling a ReceiveResponse up
 * to what the request allows (provider/src/testing/envelopeLimit.ts) without passing it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { maxEnvelopeSizeForStack } from "../../provider/src/client.js";
import { buildRequest } from "../../provider/src/wsman/envelope.js";
import { buildResponse } from "../../provider/src/testing/wsman/response.js";
import { ACTION, COMMAND_STATE, RESOURCE_URI } from "../../provider/src/wsman/namespaces.js";
import { parseEnvelope } from "../../provider/src/wsman/parse.js";
import { receiveResponseBody } from "../../provider/src/testing/wsman/shell.js";
import { allowedEnvelopeSize, receivePayloadBudget } from "../../provider/src/testing/index.js";
import { envelopeSizeFault } from "../../provider/src/testing/envelopeLimit.js";
import { envelopeLimitFromConfig, isEnvelopeSizeRefused, steppedDownEnvelopeSize } from "../../provider/src/envelopeSize.js";
import { faultToActOn } from "../../provider/src/faultTrust.js";
import { isShellGone } from "../../provider/src/shell/keptShell.js";
import { ProtocolError, WSManFaultError } from "../../provider/src/errors.js";
import { faultFromEnvelope } from "../../provider/src/wsman/faults.js";

test("the client declares 150 KiB on WinRM 1.1/2.0 and 500 KiB on 3.0+", () => {
  assert.equal(maxEnvelopeSizeForStack("1.1"), 153600);
  assert.equal(maxEnvelopeSizeForStack("2.0"), 153600);
  assert.equal(maxEnvelopeSizeForStack("3.0"), 512000);
  assert.equal(maxEnvelopeSizeForStack(undefined), 153600);
  assert.equal(maxEnvelopeSizeForStack("x"), 153600);
});

test("the emulated host takes the smaller of the request's MaxEnvelopeSize and its own configuration", () => {
  const req = (n: number): ReturnType<typeof parseEnvelope> =>
    parseEnvelope(buildRequest({ to: "http://h:5985/wsman", action: ACTION.receive, resourceUri: RESOURCE_URI.cmd, maxEnvelopeSize: n, messageId: "uuid:1" }).xml);
  assert.equal(allowedEnvelopeSize(req(512000), 500), 512000);
  assert.equal(allowedEnvelopeSize(req(512000), 150), 153600);
  assert.equal(allowedEnvelopeSize(req(153600), 500), 153600);
});

test("a ReceiveResponse filled to the budget fits the envelope size, and uses most of it", () => {
  const id = "1A6DEE6B-EC68-4DD6-87E9-030C0048ECC4";
  for (const size of [153600, 512000]) {
    const element = 8192;
    const budget = receivePayloadBudget(size, element);
    const streams = [];
    for (let off = 0; off < budget; off += element) streams.push({ name: "stdout", data: Buffer.alloc(Math.min(element, budget - off), 0x41) });
    const xml = buildResponse({
      action: ACTION.receiveResponse,
      relatesTo: "uuid:0AB58087-C2C3-4A0F-9D2B-8F0E1C4A0001",
      body: receiveResponseBody({ commandId: id, streams, state: COMMAND_STATE.running }),
    });
    const bytes = Buffer.byteLength(xml);
    assert.ok(bytes <= size, `${bytes} <= ${size}`);
    assert.ok(bytes > size * 0.9, `${bytes} uses most of ${size}`);
  }
});

test("a request declaring more than the host's MaxEnvelopeSizekb gets Windows' EncodingLimit fault, which the client recognises", () => {
  const req = (n: number): ReturnType<typeof parseEnvelope> =>
    parseEnvelope(buildRequest({ to: "http://h:5985/wsman", action: ACTION.create, resourceUri: RESOURCE_URI.cmd, maxEnvelopeSize: n, messageId: "uuid:2" }).xml);
  assert.equal(envelopeSizeFault("H", req(153600), 150), undefined);
  const reply = envelopeSizeFault("H", req(512000), 150);
  assert.equal(reply?.status, 500);
  const fault = faultFromEnvelope(parseEnvelope(reply?.soap ?? ""), 500);
  assert.ok(fault instanceof WSManFaultError);
  assert.equal(fault.wsmanCode, 0x80338047);
  assert.equal(fault.subcode, "w:EncodingLimit");
  assert.equal(fault.detail, "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/MaxEnvelopeSize");
  assert.equal(isEnvelopeSizeRefused(fault), true);
  // Another fault, and the same subcode with another detail, are not a refusal of the size.
  assert.equal(isEnvelopeSizeRefused(new WSManFaultError({ httpStatus: 500, subcode: "w:EncodingLimit", reason: "x", detail: "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/CharacterSet" })), false);
  assert.equal(isEnvelopeSizeRefused(new WSManFaultError({ httpStatus: 500, wsmanCode: 2150858843, reason: "x" })), false);
});

test("stepping down: to the host's limit when known, else to 153600, never up and never to the same size", () => {
  assert.equal(steppedDownEnvelopeSize(512000, 150 * 1024), 153600);
  assert.equal(steppedDownEnvelopeSize(512000, 64 * 1024), 65536);
  assert.equal(steppedDownEnvelopeSize(512000, undefined), 153600);
  assert.equal(steppedDownEnvelopeSize(512000, 600 * 1024), 153600);
  assert.equal(steppedDownEnvelopeSize(153600, 100 * 1024), 102400);
  assert.equal(steppedDownEnvelopeSize(153600, undefined), undefined);
  assert.equal(steppedDownEnvelopeSize(65536, 65536), undefined);
  assert.equal(envelopeLimitFromConfig({ MaxEnvelopeSizekb: "150" }), 153600);
  assert.equal(envelopeLimitFromConfig({ MaxEnvelopeSizekb: "8" }), undefined);
  assert.equal(envelopeLimitFromConfig({ MaxEnvelopeSizekb: "1e3" }), undefined);
  assert.equal(envelopeLimitFromConfig({}), undefined);
});

test("a refusal in clear on a sealed session is not acted on (a ProtocolError, never re-sent); sealed, or on https://, it is", () => {
  const refusal = new WSManFaultError({ httpStatus: 500, wsmanCode: 0x80338047, reason: "The maximum envelope size in the request is too large." });
  const other = new WSManFaultError({ httpStatus: 500, wsmanCode: 5, reason: "Access is denied." });
  const clear = faultToActOn(refusal, { sessionSeals: true, answerSealed: false });
  assert.ok(clear instanceof ProtocolError && /came unsealed/.test(clear.message), String(clear));
  assert.equal(isEnvelopeSizeRefused(clear), false, "the step-down does not see it");
  assert.equal((clear as Error & { cause?: unknown }).cause, refusal, "the fault stays readable as the cause");
  assert.equal(faultToActOn(refusal, { sessionSeals: true, answerSealed: true }), refusal);
  assert.equal(faultToActOn(refusal, { sessionSeals: false, answerSealed: false }), refusal, "https://: TLS protects the answer");
  assert.equal(faultToActOn(other, { sessionSeals: true, answerSealed: false }), other, "other faults are reported as they are");
  // The other fault that makes the client send again: a kept shell that is gone (the command runs in a new shell).
  const gone = new WSManFaultError({ httpStatus: 500, subcode: "w:InvalidSelectors", reason: "The shell was not found." });
  assert.equal(isShellGone(gone), true);
  const goneClear = faultToActOn(gone, { sessionSeals: true, answerSealed: false });
  assert.ok(goneClear instanceof ProtocolError && !isShellGone(goneClear), String(goneClear));
  assert.equal(faultToActOn(gone, { sessionSeals: true, answerSealed: true }), gone);
});
