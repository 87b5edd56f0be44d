/**
 * The emulated host's faults against faults real Windows hosts sent, as recorded by pypsrp (the shared `fidelity`
 * directory beside the checkout, test/fuzz/seeds.ts fidelityDirectory; other projects' data, read at run time, never
 * copied here). Each test replays the recorded request's shape to the emulator and compares the fault with the
 * recorded one: a:Action, code, subcode, s:Reason, w:FaultDetail, f:Message, WSManFault Code and Machine, detail order.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEmulatedHost, type RunningEmulatedHost } from "../../provider/src/testing/index.js";
import { fidelityDirectory } from "../fuzz/seeds.js";
import { RawClient, SOAP_CT } from "./emulatorHarness.js";

const USER = "alice";
const PASSWORD = "Passw0rd!";

/** The request/response pairs of a pypsrp recording (one `- request:` line, one `  response:` line each). */
function recordedPairs(file: string): { request: string; response: string }[] {
  const unquote = (v: string): string => (v.startsWith("'") && v.endsWith("'") ? v.slice(1, -1).replaceAll("''", "'") : v);
  const pairs: { request: string; response: string }[] = [];
  let request: string | undefined;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("- request: ")) request = unquote(line.slice("- request: ".length));
    else if (line.startsWith("  response: ") && request !== undefined) {
      pairs.push({ request, response: unquote(line.slice("  response: ".length)) });
      request = undefined;
    }
  }
  return pairs;
}

/** What of a fault is compared (the text between the tags, in document order). */
function faultShape(xml: string): Record<string, string | undefined> {
  const between = (open: string, close: string): string | undefined => {
    const a = xml.indexOf(open);
    if (a < 0) return undefined;
    const start = xml.indexOf(">", a) + 1;
    const end = xml.indexOf(close, start);
    return end < 0 ? undefined : xml.slice(start, end);
  };
  const wsman = xml.indexOf("<f:WSManFault");
  const tag = wsman < 0 ? "" : xml.slice(wsman, xml.indexOf(">", wsman));
  const attr = (name: string): string | undefined => {
    const a = tag.indexOf(` ${name}="`);
    return a < 0 ? undefined : tag.slice(a + name.length + 3, tag.indexOf('"', a + name.length + 3));
  };
  const detail = between("<s:Detail", "</s:Detail>") ?? "";
  return {
    action: between("<a:Action", "</a:Action>"),
    code: between("<s:Code><s:Value", "</s:Value>"),
    subcode: between("<s:Subcode><s:Value", "</s:Value>"),
    reason: between("<s:Text", "</s:Text>"),
    faultDetail: between("<w:FaultDetail", "</w:FaultDetail>"),
    detailFirst: detail.startsWith("<w:FaultDetail") ? "FaultDetail" : detail.slice(0, 12),
    message: between("<f:Message", "</f:Message>"),
    wsmanCode: attr("Code"),
    machine: attr("Machine"),
  };
}

void describe("emulator faults match the recorded Windows faults", () => {
  const dir = fidelityDirectory();
  const missing = dir === undefined || !existsSync(join(dir, "pypsrp"));
  let host: RunningEmulatedHost | undefined;
  let raw: RawClient | undefined;
  before(async () => {
    if (missing) return;
    host = await startEmulatedHost({ users: [{ username: USER, password: PASSWORD }], tls: true, config: { "winrm/config/service/auth": { Basic: "true" } } });
    raw = new RawClient(host.url, { ca: host.ca ?? "" });
  });
  after(async () => {
    raw?.close();
    await host?.close();
  });
  const skip = missing ? "the recorded Windows traffic (shared fidelity directory, FUZZ_FIDELITY_DIR) is absent: NOT RUN" : undefined;

  /** Sends `xml` with its wsa:To pointing at the recorded machine; returns the emulator's answer. */
  async function send(xml: string): Promise<{ status: number; body: string }> {
    const r = await raw!.post(xml, { "Content-Type": SOAP_CT, Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}` });
    return { status: r.status, body: r.body.toString("utf8") };
  }

  void test("an OperationTimeout of PT-1S: a:InvalidMessageInformationHeader, 2150858767 (test_psrp_is_alive_other_wsman_error.yml)", { skip }, async () => {
    const pair = recordedPairs(join(dir!, "pypsrp", "test_psrp_is_alive_other_wsman_error.yml")).find((p) => p.request.includes("PT-1S"));
    assert.ok(pair, "the recording has the PT-1S request");
    const r = await send(pair.request);
    assert.equal(r.status, 500);
    assert.deepEqual(faultShape(r.body), faultShape(pair.response));
  });

  void test("an unknown CommandId: generic reason, UnexpectedSelectors first, the specific f:Message (test_winrs_bad_cmd_id.yml)", { skip }, async () => {
    const pairs = recordedPairs(join(dir!, "pypsrp", "test_winrs_bad_cmd_id.yml"));
    const create = pairs.find((p) => p.request.includes("transfer/Create"));
    const bad = pairs.find((p) => p.response.includes("command identifier that does not exist"));
    assert.ok(create && bad, "the recording has the Create and the failing request");
    const created = await send(create.request);
    assert.equal(created.status, 200, created.body);
    const shellId = /<rsp:ShellId>([^<]+)<\/rsp:ShellId>/.exec(created.body)?.[1] ?? "";
    const recordedShell = /Name="ShellId">([^<]+)</.exec(bad.request)?.[1] ?? "";
    const r = await send(bad.request.replaceAll(recordedShell, shellId));
    assert.equal(r.status, 500);
    assert.deepEqual(faultShape(r.body), faultShape(bad.response));
  });
});
