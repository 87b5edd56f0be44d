/**
 * The streaming ReceiveResponse scanner (provider/src/wsman/receiveScanner.ts) against the full parser: whenever the
 * scanner answers, it must give exactly what parseReceiveResponse(parseEnvelope(xml)) gives; for anything else it
 * must step aside (undefined). Recorded Windows responses are read at test time from the shared fidelity directory
 * (never copied into the repository); the tests that need them are skipped when it is absent.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildResponse } from "../../provider/src/testing/wsman/response.js";
import { ACTION, COMMAND_STATE } from "../../provider/src/wsman/namespaces.js";
import { parseEnvelope } from "../../provider/src/wsman/parse.js";
import { scanReceiveResponse } from "../../provider/src/wsman/receiveScanner.js";
import { parseReceiveResponse } from "../../provider/src/wsman/shell.js";
import { receiveResponseBody } from "../../provider/src/testing/wsman/shell.js";
import { fidelityDirectory } from "../fuzz/seeds.js";

/** What the full parser says: the result and RelatesTo, or undefined when it refuses the document. */
function full(xml: string): { result: ReturnType<typeof parseReceiveResponse>; relatesTo?: string } | undefined {
  try {
    const env = parseEnvelope(xml);
    const result = parseReceiveResponse(env);
    return env.relatesTo !== undefined ? { result, relatesTo: env.relatesTo.trim() } : { result };
  } catch {
    return undefined;
  }
}

function assertSame(xml: string): ReturnType<typeof scanReceiveResponse> {
  const scanned = scanReceiveResponse(xml);
  if (scanned !== undefined) assert.deepEqual(scanned, full(xml));
  return scanned;
}

/** Recorded ReceiveResponses (and everything else, which the scanner must leave to the full parser). */
function recorded(dir: string): { name: string; xml: string }[] {
  const out: { name: string; xml: string }[] = [];
  const flat = join(dir, "pypsrp_all.json");
  if (existsSync(flat)) {
    for (const r of JSON.parse(readFileSync(flat, "utf8")) as { file: string; i: number; response: unknown }[]) {
      if (typeof r.response === "string" && r.response.startsWith("<")) out.push({ name: `${r.file}#${r.i}`, xml: r.response });
    }
  }
  const mz = join(dir, "masterzen.json");
  if (existsSync(mz)) {
    for (const [k, v] of Object.entries(JSON.parse(readFileSync(mz, "utf8")) as Record<string, string>)) out.push({ name: `masterzen ${k}`, xml: v });
  }
  const winrb = join(dir, "winrb");
  if (existsSync(winrb)) {
    for (const f of readdirSync(winrb)) {
      if (!f.endsWith(".xml") && !f.endsWith(".xml.erb")) continue;
      // Fill the ERB placeholders with values of the right kind (base64 for stream data, a GUID otherwise).
      const xml = readFileSync(join(winrb, f), "utf8").replace(/<%= *([a-z0-9_]+) *%>/g, (_m, v: string) =>
        v.startsWith("test_data") ? Buffer.from(`data of ${v}\r\n`).toString("base64") : "04A2F2E5-5F2C-4B4C-9A8E-0123456789AB",
      );
      out.push({ name: `winrb ${f}`, xml });
    }
  }
  return out;
}

const ID = "1A6DEE6B-EC68-4DD6-87E9-030C0048ECC4";

function envelope(body: string, relatesTo = "uuid:0AB58087-C2C3-4A0F-9D2B-8F0E1C4A0001"): string {
  return buildResponse({ action: ACTION.receiveResponse, relatesTo, body });
}

describe("receive scanner", () => {
  test("reads the emulator's ReceiveResponses exactly as the full parser does", () => {
    const bodies = [
      receiveResponseBody({ commandId: ID, streams: [{ name: "stdout", data: Buffer.from("hello\r\n") }], state: COMMAND_STATE.running }),
      receiveResponseBody({
        commandId: ID,
        streams: [
          { name: "stdout", data: Buffer.alloc(3000, 7), end: true },
          { name: "stderr", data: Buffer.alloc(0), end: true },
        ],
        state: COMMAND_STATE.done,
        exitCode: -1073741510,
      }),
      receiveResponseBody({ commandId: ID, streams: [], state: COMMAND_STATE.pending }),
    ];
    for (const b of bodies) {
      const xml = envelope(b);
      const s = assertSame(xml);
      assert.ok(s !== undefined, "the scanner recognises what the emulator sends");
    }
    const done = scanReceiveResponse(envelope(bodies[1] as string));
    assert.equal(done?.result.exitCode, -1073741510);
    assert.equal(done?.result.done, true);
    assert.equal(done?.result.streams[0]?.data.length, 3000);
  });

  test("resolves prefixes from the document: other prefixes and a default namespace", () => {
    const xml =
      `<?xml version="1.0" encoding="utf-8"?><E:Envelope xmlns:E="http://www.w3.org/2003/05/soap-envelope" ` +
      `xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"><E:Header><wsa:RelatesTo> uuid:1 </wsa:RelatesTo>` +
      `<other xmlns="urn:x"><deep a="1">t</deep></other></E:Header><E:Body>` +
      `<ReceiveResponse xmlns="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">` +
      `<Stream Name="stdout" CommandId="c1">aGk=</Stream><Stream Name="stderr" End="TRUE"/>` +
      `<CommandState State="${COMMAND_STATE.done}"><ExitCode> 5 </ExitCode></CommandState></ReceiveResponse></E:Body></E:Envelope>`;
    const s = assertSame(xml);
    assert.ok(s);
    assert.equal(s.relatesTo, "uuid:1");
    assert.deepEqual(s.result.streams.map((x) => [x.name, x.data.toString(), x.end]), [["stdout", "hi", false], ["stderr", "", true]]);
    assert.equal(s.result.exitCode, 5);
    // The rsp prefix bound to another URI is not the shell namespace: not a ReceiveResponse for us.
    assert.equal(scanReceiveResponse(xml.replace('xmlns="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"', 'xmlns="urn:other"')), undefined);
  });

  test("decodes base64 from the body's bytes: every padding, every length, every byte value", () => {
    for (let n = 1; n <= 70; n++) {
      const data = Buffer.from(Array.from({ length: n }, (_, k) => (k * 37 + n * 11) & 0xff));
      const xml = envelope(receiveResponseBody({ commandId: ID, streams: [{ name: "stdout", data }], state: COMMAND_STATE.running }));
      const fromText = assertSame(xml);
      const fromBytes = scanReceiveResponse(Buffer.from(xml, "utf8"));
      assert.ok(fromText && fromBytes, `length ${n}`);
      assert.deepEqual(fromBytes, fromText);
      assert.deepEqual(fromBytes.result.streams[0]?.data, data, `length ${n}`);
    }
  });

  test("reads ASCII documents only: a non-ASCII name, value or header text goes to the full parser", () => {
    const ok = envelope(receiveResponseBody({ commandId: ID, streams: [{ name: "stdout", data: Buffer.from("abc") }], state: COMMAND_STATE.running }));
    for (const v of [
      ok.replace('Name="stdout"', 'Name="stdöut"'),
      ok.replace("<rsp:CommandState", '<rsp:Streäm Name="x">YWJj</rsp:Streäm><rsp:CommandState'),
      ok.replace("YWJj", "YWJ\u00e9"),
    ]) {
      assert.equal(scanReceiveResponse(v), undefined);
      assert.equal(scanReceiveResponse(Buffer.from(v, "utf8")), undefined);
      assertSame(v);
    }
  });

  test("steps aside for faults, references, comments, CDATA, odd base64 and unknown elements", () => {
    const ok = envelope(receiveResponseBody({ commandId: ID, streams: [{ name: "stdout", data: Buffer.from("abc") }], state: COMMAND_STATE.running }));
    assert.ok(scanReceiveResponse(ok));
    const variants = [
      ok.replace("YWJj", "YW Jj"), // white space inside base64: the full parser's path
      ok.replace("YWJj", "YWJ!"), // not base64: the full parser refuses it
      ok.replace("YWJj", "YWJ"), // bad length
      ok.replace('Name="stdout"', 'Name="std&amp;out"'),
      ok.replace("<rsp:CommandState", "<!-- c --><rsp:CommandState"),
      ok.replace("YWJj", "<![CDATA[YWJj]]>"),
      ok.replace("<rsp:CommandState", "<rsp:Other/><rsp:CommandState"),
      ok.replace("</s:Envelope>", "</s:Envelope><x/>"),
      ok.replace("</rsp:ReceiveResponse>", "</rsp:Receiveresponse>"),
      ok.replace('Name="stdout"', 'Name="stdout" Name="x"'),
      ok.replace('Name="stdout"', 'q:Name="stdout"'),
      ok.slice(0, ok.length - 5),
      `\ufeff${ok}`,
    ];
    for (const v of variants) {
      assert.equal(scanReceiveResponse(v), undefined, v.slice(0, 0));
      assertSame(v);
    }
    const fault = buildResponse({
      action: "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault",
      relatesTo: "uuid:1",
      body: `<s:Fault xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Code><s:Value>s:Receiver</s:Value></s:Code></s:Fault>`,
    });
    assert.equal(scanReceiveResponse(fault), undefined);
  });

  test("recorded Windows responses: the scanner gives what the full parser gives", (t) => {
    const dir = fidelityDirectory();
    if (dir === undefined) {
      t.skip("the recorded Windows traffic (shared fidelity directory) is not present");
      return;
    }
    let receives = 0;
    let scanned = 0;
    for (const { name, xml } of recorded(dir)) {
      const s = scanReceiveResponse(xml);
      const f = full(xml);
      if (s !== undefined) {
        scanned++;
        assert.deepEqual(s, f, name);
      }
      if (f !== undefined) receives++;
    }
    t.diagnostic(`${receives} recorded ReceiveResponses, ${scanned} read by the scanner`);
    assert.ok(receives > 50, "the recordings hold ReceiveResponses");
    // Windows' ReceiveResponses are plain: the scanner reads every one the full parser reads.
    assert.equal(scanned, receives);
  });
});
