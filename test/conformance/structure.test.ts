import { test } from "node:test";
import assert from "node:assert/strict";
import { compareResponses } from "./structure.js";

const S = "http://www.w3.org/2003/05/soap-envelope";
const A = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
const R = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";

function env(body: string, action = "urn:act", prefix = "rsp"): string {
  return `<s:Envelope xmlns:s="${S}" xmlns:a="${A}" xmlns:${prefix}="${R}"><s:Header><a:Action>${action}</a:Action>` +
    `<a:MessageID>uuid:${Math.random()}</a:MessageID></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

void test("the same structure with other ids and stream data: no difference; other root declarations: one", () => {
  const a = env(`<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="1">aGk=</rsp:Stream></rsp:ReceiveResponse>`);
  const b = env(`<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="2">b2s=</rsp:Stream></rsp:ReceiveResponse>`);
  assert.deepEqual(compareResponses(a, b), []);
  const c = env(`<x:ReceiveResponse><x:Stream Name="stdout" CommandId="2">b2s=</x:Stream></x:ReceiveResponse>`, "urn:act", "x");
  assert.deepEqual(compareResponses(a, c).map((d) => d.path), ["Envelope/xmlns"]);
});

void test("action, element order, attributes, attribute values and fault texts are differences", () => {
  const base = env(`<rsp:R><rsp:A Name="x"/><rsp:B/><rsp:Message>m1</rsp:Message></rsp:R>`);
  assert.deepEqual(compareResponses(base, base.replace("urn:act", "urn:other")).map((d) => d.path), ["Header/Action"]);
  const otherKind = env(`<rsp:R><rsp:A Name="x"/><rsp:B/><rsp:Message>m1</rsp:Message></rsp:R>`, "urn:other", "rsp").replace(` xmlns:a="${A}"`, ` xmlns:a="${A}" xmlns:n="urn:n"`);
  assert.deepEqual(compareResponses(base, otherKind).map((d) => d.path), ["Header/Action"], "declarations of another kind of answer are not compared");
  assert.match(compareResponses(base, env(`<rsp:R><rsp:B/><rsp:A Name="x"/><rsp:Message>m1</rsp:Message></rsp:R>`))[0]!.what, /element .*A vs .*B/);
  assert.match(compareResponses(base, env(`<rsp:R><rsp:A Name="x" End="true"/><rsp:B/><rsp:Message>m1</rsp:Message></rsp:R>`))[0]!.what, /attributes/);
  assert.match(compareResponses(base, env(`<rsp:R><rsp:A Name="y"/><rsp:B/><rsp:Message>m1</rsp:Message></rsp:R>`))[0]!.what, /@Name "x" vs "y"/);
  assert.match(compareResponses(base, env(`<rsp:R><rsp:A Name="x"/><rsp:B/><rsp:Message>m2</rsp:Message></rsp:R>`))[0]!.what, /text "m1" vs "m2"/);
  assert.match(compareResponses(base, env(`<rsp:R><rsp:A Name="x"/><rsp:B/></rsp:R>`))[0]!.what, /missing Message/);
  assert.match(compareResponses(base, env(`<rsp:R><rsp:A Name="x"/><rsp:B/><rsp:Message>m1</rsp:Message><rsp:C/></rsp:R>`))[0]!.what, /extra C/);
});

void test("in a ReceiveResponse, one stream's data split into more Streams is no difference; End markers and their order are", () => {
  const stream = (name: string, data: string, end = false): string =>
    `<rsp:Stream Name="${name}" CommandId="C"${end ? ' End="true"' : ""}>${data}</rsp:Stream>`;
  const state = `<rsp:CommandState CommandId="C" State="Done"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState>`;
  const windows = env(`<rsp:ReceiveResponse>${stream("stdout", "aGk=")}${stream("stdout", "Cg==")}${stream("stdout", "", true)}${stream("stderr", "", true)}${state}</rsp:ReceiveResponse>`);
  const oneData = env(`<rsp:ReceiveResponse>${stream("stdout", "aGkK")}${stream("stdout", "", true)}${stream("stderr", "", true)}${state}</rsp:ReceiveResponse>`);
  assert.deepEqual(compareResponses(windows, oneData), []);
  const endOnData = env(`<rsp:ReceiveResponse>${stream("stdout", "aGkK", true)}${stream("stderr", "", true)}${state}</rsp:ReceiveResponse>`);
  assert.ok(compareResponses(windows, endOnData).length > 0, "End set on the data Stream is a difference");
  const stderrFirst = env(`<rsp:ReceiveResponse>${stream("stdout", "aGkK")}${stream("stderr", "", true)}${stream("stdout", "", true)}${state}</rsp:ReceiveResponse>`);
  assert.ok(compareResponses(windows, stderrFirst).length > 0, "End markers in another order are a difference");
});
