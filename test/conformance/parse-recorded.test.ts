/**
 * The client reads every recorded Windows response with no loss: shell ids, command ids, streams (decoded), command
 * state and exit codes, and every level of fault detail. Expectations come from an independent tag scan of the same
 * document (independentReading.ts), not from values written per file.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { faultFromEnvelope } from "../../provider/src/wsman/faults.js";
import { parseEnvelope } from "../../provider/src/wsman/parse.js";
import { parseCommandResponse, parseCreateResponse, parseReceiveResponse } from "../../provider/src/wsman/shell.js";
import type { WSManFaultInfo } from "../../provider/src/errors.js";
import { CORPUS_ABSENT, loadCorpus, type RecordedResponse } from "./corpus.js";
import { collapseSpace, tags } from "./independentReading.js";

const corpus = loadCorpus();

function chain(f: WSManFaultInfo | undefined): WSManFaultInfo[] {
  const out: WSManFaultInfo[] = [];
  for (let cur = f; cur; cur = cur.inner) out.push(cur);
  return out;
}

function localOf(qname: string | undefined): string | undefined {
  return qname?.slice(qname.indexOf(":") + 1);
}

function checkFault(r: RecordedResponse): void {
  const f = faultFromEnvelope(parseEnvelope(r.xml), r.status ?? 500);
  assert.ok(f, `${r.source}: s:Fault not read`);
  const values = tags(r.xml, "Value").map((t) => collapseSpace(t.text));
  assert.equal(localOf(f.faultCode), localOf(values[0]), `${r.source}: s:Code`);
  assert.equal(localOf(f.subcode), localOf(values[1]), `${r.source}: s:Subcode`);
  const reasonText = tags(r.xml, "Text").map((t) => collapseSpace(t.text)).find((t) => t !== "");
  assert.equal(f.soapReason, reasonText, `${r.source}: s:Reason`);
  // Every WSManFault level, outer to inner, with its own Code and Machine.
  const levels = tags(r.xml, "WSManFault").map((t) => ({ code: t.attrs.Code, machine: t.attrs.Machine }));
  assert.deepEqual(
    chain(f.wsmanFault).map((l) => ({ code: l.code === undefined ? undefined : String(l.code), machine: l.machine })),
    levels,
    `${r.source}: WSManFault levels`,
  );
  const providers = tags(r.xml, "ProviderFault").map((t) => ({ provider: t.attrs.provider, path: t.attrs.path }));
  assert.deepEqual(
    chain(f.wsmanFault)
      .filter((l) => l.providerFault)
      .map((l) => ({ provider: l.providerFault?.provider, path: l.providerFault?.path })),
    providers,
    `${r.source}: ProviderFault`,
  );
  const faultDetail = tags(r.xml, "FaultDetail")[0];
  assert.equal(f.detail, faultDetail ? faultDetail.text.trim() : undefined, `${r.source}: w:FaultDetail`);
  const wmi = tags(r.xml, "MSFT_WmiError").length > 0;
  if (wmi) {
    const inWmi = r.xml.slice(r.xml.indexOf("MSFT_WmiError"));
    assert.equal(f.wmiError?.message, collapseSpace(tags(inWmi, "Message")[0]?.text ?? ""), `${r.source}: p:Message`);
    assert.equal(f.wmiError?.messageId, collapseSpace(tags(inWmi, "MessageID")[0]?.text ?? ""), `${r.source}: p:MessageID`);
  } else {
    assert.equal(f.wmiError, undefined);
  }
  // The most specific text: the last f:Message or provider text the host wrote, else the WMI message, else s:Reason.
  const specific = [...tags(r.xml, "Message"), ...tags(r.xml, "ProviderFault")]
    .map((t) => collapseSpace(t.text))
    .filter((t) => t !== "");
  const expected = wmi ? (f.wmiError?.message ?? reasonText) : (specific[specific.length - 1] ?? reasonText);
  assert.equal(f.reason, expected, `${r.source}: most specific text`);
  assert.ok(f.message.includes(f.reason), `${r.source}: the message quotes the specific text`);
  if (f.detail) assert.ok(f.message.includes(f.detail), `${r.source}: the message names the FaultDetail`);
  const activity = tags(r.xml, "ActivityId")[0];
  assert.equal(f.activityId, activity ? activity.text.trim() : undefined, `${r.source}: p:ActivityId`);
}

function checkReceive(r: RecordedResponse): void {
  const got = parseReceiveResponse(parseEnvelope(r.xml));
  const streams = tags(r.xml, "Stream");
  assert.equal(got.streams.length, streams.length, `${r.source}: stream count`);
  streams.forEach((s, i) => {
    const g = got.streams[i];
    assert.equal(g?.name, s.attrs.Name, `${r.source}: stream ${i} name`);
    assert.equal(g?.commandId, s.attrs.CommandId, `${r.source}: stream ${i} CommandId`);
    assert.equal(g?.end, s.attrs.End === "true", `${r.source}: stream ${i} End`);
    assert.deepEqual(g?.data, Buffer.from(s.text.trim(), "base64"), `${r.source}: stream ${i} bytes`);
  });
  const state = tags(r.xml, "CommandState")[0];
  assert.equal(got.state, state?.attrs.State, `${r.source}: CommandState`);
  const exit = tags(r.xml, "ExitCode")[0];
  if (got.done && exit) assert.equal(got.exitCode, Number(exit.text.trim()), `${r.source}: ExitCode`);
}

function kindOf(r: RecordedResponse): "fault" | "receive" | "create" | "command" | "other" {
  if (tags(r.xml, "Fault").length > 0) return "fault";
  if (tags(r.xml, "ReceiveResponse").length > 0) return "receive";
  if (tags(r.xml, "ResourceCreated").length > 0 && tags(r.xml, "Shell").length > 0) return "create";
  if (tags(r.xml, "CommandResponse").length > 0) return "command";
  return "other";
}

void test("every recorded response parses with no loss", (t) => {
  if (!corpus) {
    t.skip(CORPUS_ABSENT);
    return;
  }
  const counts = { fault: 0, receive: 0, create: 0, command: 0, other: 0 };
  let exitCodes = 0;
  let nestedMachines = 0;
  for (const r of corpus.responses) {
    let env;
    try {
      env = parseEnvelope(r.xml);
    } catch (e) {
      throw new Error(`${r.source}: ${(e as Error).message}`);
    }
    const kind = kindOf(r);
    counts[kind]++;
    if (kind === "fault") {
      checkFault(r);
      if (tags(r.xml, "WSManFault").length > 1) nestedMachines++;
    } else {
      assert.equal(faultFromEnvelope(env, r.status ?? 200), undefined, `${r.source}: not a fault`);
    }
    if (kind === "receive") {
      checkReceive(r);
      if (parseReceiveResponse(env).exitCode !== undefined) exitCodes++;
    }
    if (kind === "create") {
      const selector = tags(r.xml, "Selector").find((s) => s.attrs.Name === "ShellId");
      const expected = selector?.text.trim() ?? tags(r.xml, "ShellId")[0]?.text.trim();
      assert.equal(parseCreateResponse(env), expected, `${r.source}: ShellId`);
    }
    if (kind === "command") {
      assert.equal(parseCommandResponse(env), tags(r.xml, "CommandId")[0]?.text.trim(), `${r.source}: CommandId`);
    }
  }
  t.diagnostic(`${corpus.responses.length} responses: ${JSON.stringify(counts)}, ${exitCodes} exit codes, ${nestedMachines} nested faults`);
  // The corpus must exercise each kind, so an empty or renamed corpus cannot pass by checking nothing.
  assert.ok(corpus.responses.length >= 539, `only ${corpus.responses.length} responses read`);
  assert.ok(counts.fault >= 10 && counts.receive >= 200 && counts.create >= 70 && counts.command >= 70, JSON.stringify(counts));
  assert.ok(exitCodes > 0 && nestedMachines >= 3);
});

void test("a WSManFaultError from a recorded Windows fault shows the specific message and the FaultDetail URI", (t) => {
  if (!corpus) {
    t.skip(CORPUS_ABSENT);
    return;
  }
  // pypsrp's test_winrs_bad_cmd_id: Receive for a CommandId the shell does not have.
  const r = corpus.responses.find((x) => x.source === "pypsrp/test_winrs_bad_cmd_id.yml#2");
  assert.ok(r, "recording test_winrs_bad_cmd_id.yml#2 missing");
  const f = faultFromEnvelope(parseEnvelope(r.xml), 500);
  assert.ok(f);
  t.diagnostic(f.message);
  const specific = collapseSpace(tags(r.xml, "Message")[0]?.text ?? "");
  assert.match(specific, /command identifier that does not exist/);
  assert.ok(f.message.includes(specific), "the f:Message text, not the generic s:Reason");
  assert.ok(!f.message.includes(f.soapReason ?? "?"), "the generic s:Reason is on the field, not in the message");
  assert.ok(f.message.includes("http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors"));
  assert.equal(f.detail, "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors");
  assert.equal(f.wsmanCode, 2150858843);
  assert.equal(f.machine, "192.168.56.15");
});
