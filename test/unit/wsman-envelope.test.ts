import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { buildRequest, formatDuration, xmlEscape } from "../../provider/src/wsman/envelope.js";
import { buildResponse } from "../../provider/src/testing/wsman/response.js";
import { ACTION, ANONYMOUS, NS, RESOURCE_URI } from "../../provider/src/wsman/namespaces.js";
import { attr, child, mustUnderstand, parseEnvelope, parseXml, textOf } from "../../provider/src/wsman/parse.js";
import { parseDurationMs } from "../../provider/src/testing/wsman/duration.js";
import { ProtocolError } from "../../provider/src/errors.js";
import { canonXml, nullProto } from "./wsman-xml-helpers.js";

const MID = "uuid:11111111-2222-3333-4444-555555555555";

// A Create request as pywinrm lays it out, written with foreign prefixes (env:, wsa:, wsman:, wsmv:) and the
// namespace declarations spread over the tree: the structural comparison matches on URIs only.
const GOLDEN_CREATE = `<?xml version="1.0" encoding="utf-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">
  <env:Header xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:wsmv="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">
    <wsa:To>http://windows-host:5985/wsman</wsa:To>
    <wsa:ReplyTo><wsa:Address env:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:Address></wsa:ReplyTo>
    <wsman:MaxEnvelopeSize env:mustUnderstand="true">153600</wsman:MaxEnvelopeSize>
    <wsa:MessageID>${MID}</wsa:MessageID>
    <wsman:Locale xml:lang="en-US" env:mustUnderstand="false"/>
    <wsmv:DataLocale xml:lang="en-US" env:mustUnderstand="false"/>
    <wsman:OperationTimeout>PT20S</wsman:OperationTimeout>
    <wsman:ResourceURI env:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</wsman:ResourceURI>
    <wsa:Action env:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</wsa:Action>
    <wsman:OptionSet><wsman:Option Name="WINRS_NOPROFILE">FALSE</wsman:Option><wsman:Option Name="WINRS_CODEPAGE">437</wsman:Option></wsman:OptionSet>
  </env:Header>
  <env:Body>
    <shell:Shell xmlns:shell="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><shell:InputStreams>stdin</shell:InputStreams><shell:OutputStreams>stdout stderr</shell:OutputStreams></shell:Shell>
  </env:Body>
</env:Envelope>`;

void describe("buildRequest", () => {
  void test("a Create request is structurally the pywinrm envelope", () => {
    const { xml, messageId } = buildRequest({
      to: "http://windows-host:5985/wsman",
      action: ACTION.create,
      resourceUri: RESOURCE_URI.cmd,
      options: { WINRS_NOPROFILE: "FALSE", WINRS_CODEPAGE: "437" },
      operationTimeoutSec: 20,
      messageId: MID,
      body: `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`,
    });
    assert.equal(messageId, MID);
    assert.deepEqual(canonXml(xml), canonXml(GOLDEN_CREATE));
  });

  void test("round trip: client build -> server parse", () => {
    const { xml, messageId } = buildRequest({
      to: "http://h:5985/wsman",
      action: ACTION.receive,
      resourceUri: RESOURCE_URI.cmd,
      selectors: { ShellId: "62DE33F0-8674-43D9-B6A5-3298012CC4CD" },
      options: { WSMAN_CMDSHELL_OPTION_KEEPALIVE: "TRUE" },
      operationTimeoutSec: 60,
      locale: "es-ES",
    });
    assert.match(messageId, /^uuid:[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    const env = parseEnvelope(xml);
    assert.equal(env.action, ACTION.receive);
    assert.equal(env.messageId, messageId);
    assert.equal(env.to, "http://h:5985/wsman");
    assert.equal(env.resourceUri, RESOURCE_URI.cmd);
    assert.deepEqual(env.selectors, nullProto({ ShellId: "62DE33F0-8674-43D9-B6A5-3298012CC4CD" }));
    assert.deepEqual(env.options, nullProto({ WSMAN_CMDSHELL_OPTION_KEEPALIVE: "TRUE" }));
    assert.equal(env.operationTimeout, "PT60S");
    assert.equal(env.relatesTo, undefined);
    const locale = child(env.header, NS.w, "Locale");
    assert.equal(attr(locale, "lang", NS.xml), "es-ES");
    assert.equal(mustUnderstand(locale), false);
    assert.equal(mustUnderstand(child(env.header, NS.a, "Action")), true);
    assert.equal(textOf(child(child(env.header, NS.a, "ReplyTo"), NS.a, "Address")), ANONYMOUS);
    assert.equal(env.body.children.length, 0);
  });

  void test("omits OperationTimeout when not given, escapes values, fresh message ids differ", () => {
    const a = buildRequest({ to: "http://h/wsman?a=1&b=2", action: ACTION.get, resourceUri: RESOURCE_URI.config });
    const b = buildRequest({ to: "http://h/wsman", action: ACTION.get, resourceUri: RESOURCE_URI.config });
    assert.notEqual(a.messageId, b.messageId);
    const env = parseEnvelope(a.xml);
    assert.equal(env.operationTimeout, undefined);
    assert.equal(env.to, "http://h/wsman?a=1&b=2");
    assert.equal(textOf(child(env.header, NS.w, "MaxEnvelopeSize")), "153600");
  });
});

void describe("buildResponse", () => {
  void test("looks like Windows: xml:lang root, Action, new MessageID, To anonymous, RelatesTo", () => {
    const xml = buildResponse({ action: ACTION.deleteResponse, relatesTo: MID });
    const root = parseXml(xml);
    assert.equal(attr(root, "lang", NS.xml), "en-US");
    assert.deepEqual(
      root.children.find((c) => c.local === "Header")?.children.map((c) => `{${c.ns}}${c.local}`),
      ["Action", "MessageID", "To", "RelatesTo"].map((l) => `{${NS.a}}${l}`),
    );
    const env = parseEnvelope(xml);
    assert.equal(env.action, ACTION.deleteResponse);
    assert.equal(env.relatesTo, MID);
    assert.equal(env.to, ANONYMOUS);
    assert.ok(env.messageId?.startsWith("uuid:"));
    assert.notEqual(env.messageId, MID);
    assert.equal(env.body.children.length, 0);
  });

  void test("declares on the root the namespaces Windows declares for the action", () => {
    const declared = (action: string, body?: string): string[] => {
      const open = buildResponse({ action, relatesTo: MID, ...(body === undefined ? {} : { body }) }).split(">")[0]!;
      return open.split(" ").filter((a) => a.startsWith("xmlns:")).map((a) => a.slice(6, a.indexOf("=")));
    };
    assert.deepEqual(declared(ACTION.deleteResponse), ["s", "a", "w", "p"]);
    assert.deepEqual(declared(ACTION.receiveResponse), ["s", "a", "w", "rsp", "p"]);
    assert.deepEqual(declared(ACTION.getResponse), ["s", "a", "x", "w", "p"]);
    assert.deepEqual(declared(ACTION.commandResponse), ["s", "a", "x", "w", "rsp", "p"]);
    // A body using a prefix the action's set lacks still gets it declared, so the document stays well-formed.
    assert.deepEqual(declared(ACTION.deleteResponse, "<rsp:Shell/>"), ["s", "a", "w", "p", "rsp"]);
    assert.deepEqual(declared(ACTION.enumerateResponse, `<n:EnumerateResponse><rsp:Shell xmlns:rsp="${NS.rsp}"/></n:EnumerateResponse>`), ["s", "a", "n", "w", "p"]);
  });

  void test("is structurally the Windows 2.0 CreateResponse (WinRb open_shell_v2.xml)", () => {
    const windows = `<?xml version="1.0"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd" xml:lang="en-US">
  <s:Header>
    <a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse</a:Action>
    <a:MessageID>uuid:9FF5B7FE-CC97-4FA4-B51F-E4220C016AE7</a:MessageID>
    <a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>
    <a:RelatesTo>uuid:EA2A7785-D8E6-4E28-8AD8-FC27156537B3</a:RelatesTo>
  </s:Header>
  <s:Body>
    <x:ResourceCreated>
      <a:Address>http://localhost:5985/wsman</a:Address>
      <a:ReferenceParameters>
        <w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>
        <w:SelectorSet>
          <w:Selector Name="ShellId">62DE33F0-8674-43D9-B6A5-3298012CC4CD</w:Selector>
        </w:SelectorSet>
      </a:ReferenceParameters>
    </x:ResourceCreated>
  </s:Body>
</s:Envelope>`;
    const ours = buildResponse({
      action: ACTION.createResponse,
      relatesTo: "uuid:EA2A7785-D8E6-4E28-8AD8-FC27156537B3",
      messageId: "uuid:9FF5B7FE-CC97-4FA4-B51F-E4220C016AE7",
      body:
        `<x:ResourceCreated><a:Address>http://localhost:5985/wsman</a:Address><a:ReferenceParameters>` +
        `<w:ResourceURI>${RESOURCE_URI.cmd}</w:ResourceURI><w:SelectorSet>` +
        `<w:Selector Name="ShellId">62DE33F0-8674-43D9-B6A5-3298012CC4CD</w:Selector></w:SelectorSet>` +
        `</a:ReferenceParameters></x:ResourceCreated>`,
    });
    assert.deepEqual(canonXml(ours), canonXml(windows));
  });
});

void describe("parseEnvelope / parseXml", () => {
  void test("foreign prefixes and a default namespace resolve to the same fields", () => {
    const xml =
      `<soap:Envelope xmlns:soap="${NS.s}"><soap:Header>` +
      `<Action xmlns="${NS.a}" mustUnderstand="true">${ACTION.command}</Action>` +
      `<wsa:MessageID xmlns:wsa="${NS.a}">${MID}</wsa:MessageID>` +
      `<x:ResourceURI xmlns:x="${NS.w}">${RESOURCE_URI.cmd}</x:ResourceURI>` +
      `<m:SelectorSet xmlns:m="${NS.w}"><m:Selector Name="ShellId">uuid:ABC</m:Selector></m:SelectorSet>` +
      `<m:OptionSet xmlns:m="${NS.w}"><m:Option Name="WINRS_SKIP_CMD_SHELL">FALSE</m:Option></m:OptionSet>` +
      `</soap:Header><soap:Body/></soap:Envelope>`;
    const env = parseEnvelope(xml);
    assert.equal(env.action, ACTION.command);
    assert.equal(env.messageId, MID);
    assert.equal(env.resourceUri, RESOURCE_URI.cmd);
    assert.deepEqual(env.selectors, nullProto({ ShellId: "uuid:ABC" }));
    assert.deepEqual(env.options, nullProto({ WINRS_SKIP_CMD_SHELL: "FALSE" }));
    // unprefixed mustUnderstand (pywinrm, WinRb) is accepted like s:mustUnderstand
    assert.equal(mustUnderstand(child(env.header, NS.a, "Action")), true);
  });

  void test("a literal s: prefix bound to another URI is not the SOAP envelope", () => {
    const xml = `<s:Envelope xmlns:s="urn:not-soap"><s:Body/></s:Envelope>`;
    assert.throws(() => parseEnvelope(xml), ProtocolError);
  });

  void test("elements with the right prefix but the wrong namespace are not matched", () => {
    const xml =
      `<s:Envelope xmlns:s="${NS.s}"><s:Header><a:Action xmlns:a="urn:other">x</a:Action></s:Header><s:Body/></s:Envelope>`;
    assert.equal(parseEnvelope(xml).action, undefined);
  });

  void test("entities, character references and CDATA are decoded", () => {
    const el = parseXml(`<r a="1 &amp; &#x32; &quot;q&quot;">a &lt;b&gt; &#13;&#x41;<![CDATA[<x&amp;>]]></r>`);
    assert.equal(el.text, "a <b> \rA<x&amp;>");
    assert.equal(attr(el, "a"), '1 & 2 "q"');
  });

  void test("a leading byte order mark is ignored", () => {
    assert.equal(parseXml("\uFEFF<r>x</r>").text, "x");
  });

  void test("malformed input throws ProtocolError", () => {
    assert.throws(() => parseXml("<a><b></a>"), ProtocolError);
    assert.throws(() => parseXml(""), ProtocolError);
    assert.throws(() => parseXml("<p:a/>"), ProtocolError); // undeclared prefix
    assert.throws(() => parseXml(`<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`), ProtocolError);
    assert.throws(() => parseEnvelope(`<s:Envelope xmlns:s="${NS.s}"><s:Header/></s:Envelope>`), ProtocolError);
    assert.throws(() => parseEnvelope("not xml at all"), ProtocolError);
  });

  void test("xmlEscape escapes the five XML characters and round-trips through the parser", () => {
    const s = `a<b>&"c'`;
    assert.equal(xmlEscape(s), "a&lt;b&gt;&amp;&quot;c&apos;");
    assert.equal(parseXml(`<r x="${xmlEscape(s)}">${xmlEscape(s)}</r>`).text, s);
    assert.equal(attr(parseXml(`<r x="${xmlEscape(s)}"/>`), "x"), s);
  });

  void test("durations", () => {
    assert.equal(formatDuration(20), "PT20S");
    assert.equal(formatDuration(0.5), "PT0.500S");
    assert.equal(parseDurationMs("PT20S"), 20_000);
    assert.equal(parseDurationMs("PT60.000S"), 60_000);
    assert.equal(parseDurationMs("PT1M30S"), 90_000);
    assert.equal(parseDurationMs("P0DT2H"), 7_200_000);
    assert.equal(parseDurationMs("P1Y"), undefined);
    assert.equal(parseDurationMs("PT"), undefined);
  });
});
