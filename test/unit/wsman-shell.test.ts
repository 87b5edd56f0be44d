import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { buildRequest } from "../../provider/src/wsman/envelope.js";
import { buildResponse } from "../../provider/src/testing/wsman/response.js";
import { ACTION, ANONYMOUS, COMMAND_STATE, NS, RESOURCE_URI, SIGNAL } from "../../provider/src/wsman/namespaces.js";
import { child, parseEnvelope, textOf, type Envelope } from "../../provider/src/wsman/parse.js";
import {
  commandLineBody,
  commandOptions,
  parseCommandResponse,
  parseCreateResponse,
  parseReceiveResponse,
  receiveBody,
  sendBody,
  shellBody,
  shellCreateOptions,
  signalBody,
} from "../../provider/src/wsman/shell.js";
import {
  commandResponseBody,
  createResponseBody,
  newShellId,
  parseCommandLine,
  parseReceive,
  parseSend,
  parseShellCreate,
  parseSignal,
  receiveResponseBody,
  sendResponseBody,
  signalResponseBody,
} from "../../provider/src/testing/wsman/shell.js";
import { ProtocolError } from "../../provider/src/errors.js";
import { canonXml, nullProto } from "./wsman-xml-helpers.js";

function request(action: string, body: string, options?: Record<string, string>): Envelope {
  const { xml } = buildRequest({
    to: "http://h:5985/wsman",
    action,
    resourceUri: RESOURCE_URI.cmd,
    selectors: { ShellId: "S1" },
    ...(options ? { options } : {}),
    body,
  });
  return parseEnvelope(xml);
}

function response(action: string, body: string): Envelope {
  return parseEnvelope(buildResponse({ action, relatesTo: "uuid:X", body }));
}

void describe("client request bodies -> server parsers", () => {
  void test("Create: environment, cwd, streams, code page, profile", () => {
    const env = request(
      ACTION.create,
      shellBody({ env: { A: "1", PATH_X: "c:\\a & b" }, cwd: "C:\\Temp", idleTimeoutSec: 300 }),
      shellCreateOptions({ codePage: 65001, noProfile: false }),
    );
    assert.deepEqual(parseShellCreate(env), {
      env: nullProto({ A: "1", PATH_X: "c:\\a & b" }),
      envInOrder: [
        ["A", "1"],
        ["PATH_X", "c:\\a & b"],
      ],
      cwd: "C:\\Temp",
      idleTimeout: "PT300S",
      codePage: 65001,
      noProfile: false,
      inputStreams: ["stdin"],
      outputStreams: ["stdout", "stderr"],
    });
  });

  void test("Create body in the spec example's order (MS-WSMV 4.7.1)", () => {
    const golden =
      `<r:Shell xmlns:r="${NS.rsp}"><r:Environment><r:Variable Name="A">1</r:Variable></r:Environment>` +
      `<r:WorkingDirectory>C:\\</r:WorkingDirectory><r:IdleTimeOut>PT60S</r:IdleTimeOut>` +
      `<r:InputStreams>stdin</r:InputStreams><r:OutputStreams>stdout stderr</r:OutputStreams></r:Shell>`;
    assert.deepEqual(canonXml(shellBody({ env: { A: "1" }, cwd: "C:\\", idleTimeoutSec: 60 })), canonXml(golden));
  });

  void test("Command: program, arguments verbatim, options", () => {
    const env = request(ACTION.command, commandLineBody("cmd", ["/c", "echo  <a & b>"]), commandOptions({ skipCmdShell: true }));
    assert.deepEqual(parseCommandLine(env), { command: "cmd", args: ["/c", "echo  <a & b>"], skipCmdShell: true });
    assert.equal(env.options.WINRS_CONSOLEMODE_STDIN, "TRUE");
    const withId = parseCommandLine(request(ACTION.command, commandLineBody("ipconfig", [], "C1")));
    assert.deepEqual(withId, { command: "ipconfig", args: [], commandId: "C1", skipCmdShell: false });
  });

  void test("Receive, Send, Signal", () => {
    assert.deepEqual(parseReceive(request(ACTION.receive, receiveBody("C1"))), {
      commandId: "C1",
      streams: ["stdout", "stderr"],
    });
    const data = Buffer.from("y\r\n");
    const send = parseSend(request(ACTION.send, sendBody("C1", data, true)));
    assert.deepEqual(send.streams, [{ name: "stdin", commandId: "C1", data, end: true }]);
    assert.equal(sendBody("C1", data, true).includes(">eQ0K<"), true); // MS-WSMV 3.1.4 Send example
    const notEnd = parseSend(request(ACTION.send, sendBody("C1", new Uint8Array(0), false)));
    assert.deepEqual(notEnd.streams, [{ name: "stdin", commandId: "C1", data: Buffer.alloc(0), end: false }]);
    assert.deepEqual(parseSignal(request(ACTION.signal, signalBody("C1", SIGNAL.terminate))), {
      commandId: "C1",
      code: SIGNAL.terminate,
    });
  });

  void test("server parsers refuse a body of the wrong kind", () => {
    assert.throws(() => parseCommandLine(request(ACTION.command, receiveBody("C1"))), ProtocolError);
    assert.throws(() => parseShellCreate(request(ACTION.create, "")), ProtocolError);
  });
});

void describe("server response bodies -> client parsers", () => {
  void test("Create on WinRM 2.0+: endpoint address, bare upper-case GUID", () => {
    const body = createResponseBody({
      shellId: "62de33f0-8674-43d9-b6a5-3298012cc4cd",
      address: "http://h:5985/wsman",
      resourceUri: RESOURCE_URI.cmd,
      profile: "2.0+",
    });
    const env = response(ACTION.createResponse, body);
    assert.equal(parseCreateResponse(env), "62DE33F0-8674-43D9-B6A5-3298012CC4CD");
    assert.equal(textOf(child(child(env.body, NS.x, "ResourceCreated"), NS.a, "Address")), "http://h:5985/wsman");
    assert.equal(child(env.body, NS.rsp, "Shell"), undefined);
  });

  void test("Create on WinRM 1.1: anonymous address, uuid: ShellId", () => {
    const body = createResponseBody({
      shellId: "739990FF-1492-4CDD-80BB-6E07ADB06D85",
      address: "http://h:80/wsman",
      resourceUri: RESOURCE_URI.cmd,
      profile: "1.1",
    });
    const env = response(ACTION.createResponse, body);
    assert.equal(parseCreateResponse(env), "uuid:739990FF-1492-4CDD-80BB-6E07ADB06D85");
    assert.equal(textOf(child(child(env.body, NS.x, "ResourceCreated"), NS.a, "Address")), ANONYMOUS);
    assert.match(newShellId("1.1"), /^uuid:[0-9A-F-]{36}$/);
    assert.match(newShellId("2.0+"), /^[0-9A-F-]{36}$/);
  });

  void test("Create with rsp:Shell (WinRM 3.0) still yields the selector", () => {
    const body = createResponseBody({
      shellId: "ABC",
      address: "http://h:5985/wsman",
      resourceUri: RESOURCE_URI.cmd,
      profile: "2.0+",
      owner: "DOM\\user",
      clientIp: "10.0.0.1",
    });
    const env = response(ACTION.createResponse, body);
    assert.equal(parseCreateResponse(env), "ABC");
    assert.equal(textOf(child(child(env.body, NS.rsp, "Shell"), NS.rsp, "Owner")), "DOM\\user");
  });

  void test("Create with rsp:Shell echoes WorkingDirectory before IdleTimeOut, the idle timeout as Windows writes it", () => {
    const body = createResponseBody({
      shellId: "ABC", address: "http://h:5985/wsman", resourceUri: RESOURCE_URI.cmd, profile: "2.0+",
      owner: "vagrant", clientIp: "10.0.0.1", workingDirectory: "C:\\Windows", idleTimeoutMs: 60_000,
    });
    const shell = child(response(ACTION.createResponse, body).body, NS.rsp, "Shell");
    assert.deepEqual(shell?.children.map((c) => c.local), ["ShellId", "ResourceUri", "Owner", "ClientIP", "WorkingDirectory", "IdleTimeOut", "InputStreams", "OutputStreams", "ShellRunTime", "ShellInactivity"]);
    assert.equal(textOf(child(shell, NS.rsp, "WorkingDirectory")), "C:\\Windows");
    assert.equal(textOf(child(shell, NS.rsp, "IdleTimeOut")), "PT60.000S");
  });

  void test("WinRb's v1 capture (x: declared on the body element) parses", () => {
    const xml = `<s:Envelope xml:lang='en-US' xmlns:s='http://www.w3.org/2003/05/soap-envelope' xmlns:a='http://schemas.xmlsoap.org/ws/2004/08/addressing' xmlns:w='http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'>
  <s:Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse</a:Action></s:Header>
  <s:Body>
    <x:ResourceCreated xmlns:w='http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd' xmlns:a='http://schemas.xmlsoap.org/ws/2004/08/addressing' xmlns:x='http://schemas.xmlsoap.org/ws/2004/09/transfer' xmlns:rsp='http://schemas.microsoft.com/wbem/wsman/1/windows/shell'>
      <a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address>
      <a:ReferenceParameters>
        <w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>
        <w:SelectorSet>
          <w:Selector Name='ShellId'>uuid:739990FF-1492-4CDD-80BB-6E07ADB06D85</w:Selector>
        </w:SelectorSet>
      </a:ReferenceParameters>
    </x:ResourceCreated>
  </s:Body>
</s:Envelope>`;
    assert.equal(parseCreateResponse(parseEnvelope(xml)), "uuid:739990FF-1492-4CDD-80BB-6E07ADB06D85");
  });

  void test("Create without a ShellId is a protocol error", () => {
    assert.throws(() => parseCreateResponse(response(ACTION.createResponse, "")), ProtocolError);
  });

  void test("Command", () => {
    assert.equal(parseCommandResponse(response(ACTION.commandResponse, commandResponseBody("C-1"))), "C-1");
  });

  void test("Receive: chunks, End markers, Done with exit code", () => {
    const body = receiveResponseBody({
      commandId: "C1",
      streams: [
        { name: "stdout", data: Buffer.from("hello\r\n"), end: true },
        { name: "stderr", data: Buffer.alloc(0), end: true },
      ],
      state: COMMAND_STATE.done,
      exitCode: 3,
    });
    const r = parseReceiveResponse(response(ACTION.receiveResponse, body));
    assert.deepEqual(r, {
      streams: [
        { name: "stdout", commandId: "C1", data: Buffer.from("hello\r\n"), end: false },
        { name: "stdout", commandId: "C1", data: Buffer.alloc(0), end: true },
        { name: "stderr", commandId: "C1", data: Buffer.alloc(0), end: true },
      ],
      state: COMMAND_STATE.done,
      done: true,
      exitCode: 3,
    });
  });

  void test("Receive: Running is not done and its ExitCode is ignored (spec example)", () => {
    const body = receiveResponseBody({
      commandId: "C1",
      streams: [{ name: "stdout", data: Buffer.from("d:\\temp\\out.txt, Delete (Y/N)? ") }],
      state: COMMAND_STATE.running,
      exitCode: 0,
    });
    const r = parseReceiveResponse(response(ACTION.receiveResponse, body));
    assert.equal(r.done, false);
    assert.equal(r.exitCode, undefined);
    assert.equal(r.streams[0]?.data.toString("base64"), "ZDpcdGVtcFxvdXQudHh0LCBEZWxldGUgKFkvTik/IA==");
  });

  void test("Receive: bad base64 and missing body element are protocol errors", () => {
    const bad = `<rsp:ReceiveResponse xmlns:rsp="${NS.rsp}"><rsp:Stream Name="stdout">!!!!</rsp:Stream></rsp:ReceiveResponse>`;
    assert.throws(() => parseReceiveResponse(response(ACTION.receiveResponse, bad)), ProtocolError);
    assert.throws(() => parseReceiveResponse(response(ACTION.receiveResponse, "")), ProtocolError);
  });

  void test("Send and Signal responses are the empty rsp elements", () => {
    assert.deepEqual(canonXml(sendResponseBody()), canonXml(`<rsp:SendResponse xmlns:rsp="${NS.rsp}"/>`));
    assert.deepEqual(canonXml(signalResponseBody()), canonXml(`<q:SignalResponse xmlns:q="${NS.rsp}"/>`));
  });
});
