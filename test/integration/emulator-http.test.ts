/**
 * The emulator's WinRM HTTP listener, driven by a raw client (emulatorHarness.ts) so each HTTP exchange is visible:
 * http.sys framing, the 401 challenge, NTLM Flow A and Flow B on one connection, sealed responses, refusal of
 * unencrypted bodies, Identify, the shell lifecycle with its faults, config Get/Put, and the request log.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";

import { buildIdentifyRequest, parseIdentifyResponse } from "../../provider/src/wsman/identify.js";
import { faultFromEnvelope } from "../../provider/src/wsman/faults.js";
import { ACTION, RESOURCE_URI, SIGNAL } from "../../provider/src/wsman/namespaces.js";
import {
  commandLineBody,
  parseCommandResponse,
  parseCreateResponse,
  parseReceiveResponse,
  receiveBody,
  sendBody,
  shellBody,
  signalBody,
} from "../../provider/src/wsman/shell.js";
import { parseConfigDocument } from "../../provider/src/wsman/config.js";
import { buildRequest } from "../../provider/src/wsman/envelope.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { NtlmSession, RawClient, fakeHost, headerValues, rawExchange, SOAP_CT } from "./emulatorHarness.js";

const USER = "EXAMPLE\\alice";
const PASSWORD = "Passw0rd!";

async function start(configure?: (h: ReturnType<typeof fakeHost>) => void, extra: Partial<Parameters<typeof WinRMEmulator.start>[0]> = {}) {
  const host = fakeHost();
  configure?.(host);
  return WinRMEmulator.start({
    host,
    users: [
      { username: USER, password: PASSWORD },
      { username: "EXAMPLE\\bob", password: "B0bPass!" },
    ],
    maxOperationTimeoutMs: 300,
    ...extra,
  });
}

/** Create a shell, run one command, Receive until Done; returns the output and how many Receives it took. */
async function runCommand(s: NtlmSession, command: string, stdin?: Buffer) {
  const created = await s.call({ action: ACTION.create, resourceUri: RESOURCE_URI.cmd, body: shellBody({}), options: { WINRS_CODEPAGE: "437" } });
  assert.equal(created.res.status, 200, created.xml);
  const shellId = parseCreateResponse(created.env!);
  const sel = { ShellId: shellId };
  const cmd = await s.call({ action: ACTION.command, resourceUri: RESOURCE_URI.cmd, selectors: sel, body: commandLineBody(command, []) });
  assert.equal(cmd.res.status, 200, cmd.xml);
  const commandId = parseCommandResponse(cmd.env!);
  if (stdin) {
    const sent = await s.call({ action: ACTION.send, resourceUri: RESOURCE_URI.cmd, selectors: sel, body: sendBody(commandId, stdin, true) });
    assert.equal(sent.res.status, 200, sent.xml);
  }
  let stdout = Buffer.alloc(0);
  let stderr = Buffer.alloc(0);
  let receives = 0;
  let exitCode: number | undefined;
  for (;;) {
    const r = await s.call({ action: ACTION.receive, resourceUri: RESOURCE_URI.cmd, selectors: sel, body: receiveBody(commandId), operationTimeoutSec: 20 });
    receives++;
    assert.equal(r.res.status, 200, r.xml);
    const rr = parseReceiveResponse(r.env!);
    for (const st of rr.streams) {
      if (st.name === "stdout") stdout = Buffer.concat([stdout, st.data]);
      else stderr = Buffer.concat([stderr, st.data]);
    }
    if (rr.done) {
      exitCode = rr.exitCode;
      break;
    }
  }
  const sig = await s.call({ action: ACTION.signal, resourceUri: RESOURCE_URI.cmd, selectors: sel, body: signalBody(commandId, SIGNAL.terminate) });
  assert.equal(sig.res.status, 200, sig.xml);
  return { shellId, commandId, stdout: stdout.toString("latin1"), stderr: stderr.toString("latin1"), exitCode, receives };
}

void describe("emulator HTTP: framing and the 401 challenge", () => {
  let emu: WinRMEmulator;
  before(async () => {
    emu = await start();
  });
  after(() => emu.close());

  void test("anonymous POST gets http.sys's 401: no reason phrase, Server header, one WWW-Authenticate per enabled scheme", async () => {
    const head = await rawExchange(emu.url, `POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${SOAP_CT}\r\nContent-Length: 0\r\n\r\n`);
    assert.match(head, /^HTTP\/1\.1 401 \r\n/);
    assert.match(head, /\r\nServer: Microsoft-HTTPAPI\/2\.0\r\n/);
    assert.match(head, /\r\nContent-Length: 0\r\n/);
    // Default Service/Auth: Negotiate and Kerberos on, Basic off (winrm/config/service/auth, provider/src/testing/host/configStore.ts) => only Negotiate is offered.
    assert.deepEqual(head.match(/^WWW-Authenticate: .*$/gim)?.map((l) => l.trim()), ["WWW-Authenticate: Negotiate"]);
  });

  void test("with Basic enabled the 401 lists Negotiate then Basic realm=\"WSMAN\" on separate lines", async () => {
    const e2 = await start((h) => h.config.set("winrm/config/service/auth", { Basic: "true" }));
    const c = new RawClient(e2.url);
    try {
      const res = await c.post("");
      assert.equal(res.status, 401);
      assert.equal(res.statusMessage, "");
      assert.deepEqual(headerValues(res, "WWW-Authenticate"), ["Negotiate", 'Basic realm="WSMAN"']);
    } finally {
      c.close();
      await e2.close();
    }
  });

  void test("a URL other than /wsman is 404 like http.sys", async () => {
    const head = await rawExchange(emu.url, "POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assert.match(head, /^HTTP\/1\.1 404 \r\n/);
  });
});

void describe("emulator HTTP: NTLM handshakes and message encryption", () => {
  let emu: WinRMEmulator;
  let client: RawClient;
  before(async () => {
    emu = await start();
  });
  after(async () => {
    client?.close();
    await emu.close();
  });

  void test("Flow A: NEGOTIATE => 401 + CHALLENGE, AUTHENTICATE on an empty body => 200 empty, then sealed traffic, one connection", async () => {
    client = new RawClient(emu.url);
    const before = emu.requests.length;
    const s = new NtlmSession(client, emu.url, USER, PASSWORD);
    const challenge = await s.negotiate();
    assert.equal(challenge.status, 401);
    const wa = headerValues(challenge, "WWW-Authenticate");
    assert.equal(wa.length, 1);
    assert.match(wa[0]!, /^Negotiate TlRMTVNTUAAC/); // raw NTLMSSP CHALLENGE (type 2) under Negotiate
    const t3 = await s.authenticateToken(challenge);
    const done = await client.post(Buffer.alloc(0), { Authorization: `Negotiate ${t3}` });
    assert.equal(done.status, 200);
    assert.equal(done.body.length, 0);

    const id = await s.sealed(buildIdentifyRequest());
    assert.equal(id.res.status, 200);
    assert.match(String(id.res.headers["content-type"]), /^multipart\/encrypted;protocol="application\/HTTP-SPNEGO-session-encrypted"/);
    const ident = parseIdentifyResponse(id.xml);
    assert.equal(ident.productVendor, "Microsoft Corporation");
    assert.equal(ident.productVersion, fakeHost().profile.productVersion);

    const log = emu.requests.slice(before);
    assert.deepEqual(
      log.map((e) => [e.status, e.authScheme, e.authState, e.encrypted]),
      [
        [401, "Negotiate", "handshake", false],
        [200, "Negotiate", "authenticated", false],
        [200, undefined, "authenticated", true],
      ],
    );
    assert.equal(new Set(log.map((e) => e.connection)).size, 1, "the whole handshake ran on one TCP connection");
    assert.equal(log[2]!.user, USER);
    assert.equal(log[2]!.action, "Identify");
  });

  void test("Flow B: AUTHENTICATE rides with the first sealed message and gets a sealed 200", async () => {
    const c = new RawClient(emu.url);
    try {
      const s = new NtlmSession(c, emu.url, USER, PASSWORD);
      const challenge = await s.negotiate();
      const t3 = await s.authenticateToken(challenge);
      const r = await s.sealed(buildIdentifyRequest(), { Authorization: `Negotiate ${t3}` });
      assert.equal(r.res.status, 200);
      assert.ok(r.res.headers["content-type"]?.startsWith("multipart/encrypted"));
      assert.equal(parseIdentifyResponse(r.xml).productVendor, "Microsoft Corporation");
      // The context stays: the next sealed request needs no Authorization (sequence numbers continue at 1).
      const again = await s.sealed(buildIdentifyRequest());
      assert.equal(again.res.status, 200);
      const last = emu.requests.at(-1)!;
      assert.equal(last.encrypted, true);
      assert.equal(last.authScheme, undefined);
    } finally {
      c.close();
    }
  });

  void test("a wrong password is refused with 401 and the scheme list; the log says why and holds no secret", async () => {
    const c = new RawClient(emu.url);
    try {
      const s = new NtlmSession(c, emu.url, USER, "wrong-password");
      const r = await s.flowA();
      assert.equal(r.status, 401);
      assert.deepEqual(headerValues(r, "WWW-Authenticate"), ["Negotiate"]);
      const last = emu.requests.at(-1)!;
      assert.equal(last.authState, "anonymous");
      assert.match(last.note ?? "", /access denied/);
      assert.doesNotMatch(JSON.stringify(emu.requests), /wrong-password|Passw0rd/);
    } finally {
      c.close();
    }
  });

  void test("an unencrypted SOAP body after NTLM is refused over HTTP (AllowUnencrypted=false): bodiless 401, context dropped", async () => {
    const c = new RawClient(emu.url);
    try {
      const s = new NtlmSession(c, emu.url, USER, PASSWORD);
      assert.equal((await s.flowA()).status, 200);
      const plain = buildRequest({ to: emu.url, action: ACTION.create, resourceUri: RESOURCE_URI.cmd, body: shellBody({}) }).xml;
      const r = await c.post(plain);
      assert.equal(r.status, 401);
      assert.equal(r.body.length, 0);
      assert.equal(emu.shells.shellCount, 0, "nothing was created");
      const last = emu.requests.at(-1)!;
      assert.equal(last.encrypted, false);
      assert.equal(last.action, ACTION.create);
      assert.match(last.note ?? "", /unencrypted body refused/);
      // The context is gone: a sealed request on the same connection is challenged again.
      const after = await s.sealed(buildIdentifyRequest());
      assert.equal(after.res.status, 401);
    } finally {
      c.close();
    }
  });

  void test("with AllowUnencrypted=true the same plain body is served", async () => {
    const e2 = await start((h) => h.config.set("winrm/config/service", { AllowUnencrypted: "true" }));
    const c = new RawClient(e2.url);
    try {
      const s = new NtlmSession(c, e2.url, USER, PASSWORD);
      assert.equal((await s.flowA()).status, 200);
      const r = await c.post(buildIdentifyRequest());
      assert.equal(r.status, 200);
      assert.equal(r.headers["content-type"], SOAP_CT);
      assert.equal(parseIdentifyResponse(r.body.toString("utf8")).productVendor, "Microsoft Corporation");
    } finally {
      c.close();
      await e2.close();
    }
  });

  void test("Basic over HTTP is refused while AllowUnencrypted=false, even with Basic enabled", async () => {
    const e2 = await start((h) => h.config.set("winrm/config/service/auth", { Basic: "true" }));
    const c = new RawClient(e2.url);
    try {
      const r = await c.post(buildIdentifyRequest(), { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}` });
      assert.equal(r.status, 401);
      assert.match(e2.requests.at(-1)!.note ?? "", /Basic over HTTP refused/);
    } finally {
      c.close();
      await e2.close();
    }
  });

  void test("Identify with WSMANIDENTIFY: unauthenticated is answered without auth and hides the OS version", async () => {
    const c = new RawClient(emu.url);
    try {
      const r = await c.post(buildIdentifyRequest(), { WSMANIDENTIFY: "unauthenticated" });
      assert.equal(r.status, 200);
      const text = r.body.toString("utf8");
      const id = parseIdentifyResponse(text);
      // As Windows answers it: fixed versions, no xml:lang, an empty-element header.
      assert.equal(id.productVersion, "OS: 0.0.0 SP: 0.0 Stack: 2.0");
      assert.ok(!text.includes("xml:lang") && text.includes("<s:Header/>"), text);
      assert.deepEqual(id.securityProfiles, []);
      const noHeader = await c.post(buildIdentifyRequest());
      assert.equal(noHeader.status, 401);
    } finally {
      c.close();
    }
  });
});

void describe("emulator HTTP: shells and configuration over a sealed session", () => {
  let emu: WinRMEmulator;
  let client: RawClient;
  let s: NtlmSession;
  before(async () => {
    emu = await start(undefined, { receiveChunkBytes: 1000 });
    client = new RawClient(emu.url);
    s = new NtlmSession(client, emu.url, USER, PASSWORD);
    assert.equal((await s.flowA()).status, 200);
  });
  after(async () => {
    client.close();
    await emu.close();
  });

  void test("Create, Command, Receive, Signal, Delete: output, exit code, stderr", async () => {
    const ok = await runCommand(s, "echo hello world");
    assert.equal(ok.stdout, "hello world\r\n");
    assert.equal(ok.stderr, "");
    assert.equal(ok.exitCode, 0);
    const bad = await runCommand(s, "fail");
    assert.equal(bad.stderr, "boom\r\n");
    assert.equal(bad.exitCode, 3);
    for (const id of [ok.shellId, bad.shellId]) {
      const del = await s.call({ action: ACTION.delete, resourceUri: RESOURCE_URI.cmd, selectors: { ShellId: id } });
      assert.equal(del.res.status, 200);
      assert.equal(del.env?.action, ACTION.deleteResponse);
    }
    assert.equal(emu.shells.shellCount, 0);
  });

  void test("large output is split across several Receives and arrives whole", async () => {
    const r = await runCommand(s, "lines 500");
    const expected = Array.from({ length: 500 }, (_, i) => `line ${i + 1}\r\n`).join("");
    assert.equal(r.stdout, expected);
    assert.ok(r.receives >= Math.ceil(expected.length / 1000), `only ${r.receives} Receives for ${expected.length} bytes`);
  });

  void test("a command reading stdin waits for Send End=true; an idle Receive times out with w:TimedOut 2150858793", async () => {
    const created = await s.call({ action: ACTION.create, resourceUri: RESOURCE_URI.cmd, body: shellBody({}) });
    const sel = { ShellId: parseCreateResponse(created.env!) };
    const cmd = await s.call({ action: ACTION.command, resourceUri: RESOURCE_URI.cmd, selectors: sel, body: commandLineBody("more", []) });
    const commandId = parseCommandResponse(cmd.env!);
    const idle = await s.call({ action: ACTION.receive, resourceUri: RESOURCE_URI.cmd, selectors: sel, body: receiveBody(commandId), operationTimeoutSec: 60 });
    assert.equal(idle.res.status, 500);
    assert.ok(idle.res.headers["content-type"]?.startsWith("multipart/encrypted"), "faults are sealed too");
    const fault = faultFromEnvelope(idle.env!, 500);
    assert.equal(fault?.wsmanCode, 2150858793);
    assert.equal(fault?.subcode, "w:TimedOut");
    assert.equal(emu.requests.at(-1)!.note, "w:TimedOut");

    await s.call({ action: ACTION.send, resourceUri: RESOURCE_URI.cmd, selectors: sel, body: sendBody(commandId, Buffer.from("y\r\n"), true) });
    const out = await s.call({ action: ACTION.receive, resourceUri: RESOURCE_URI.cmd, selectors: sel, body: receiveBody(commandId) });
    const rr = parseReceiveResponse(out.env!);
    assert.equal(rr.done, true);
    assert.equal(Buffer.concat(rr.streams.filter((x) => x.name === "stdout").map((x) => x.data)).toString(), "y\r\n");
  });

  void test("an unknown ShellId gets Windows' fault: w:InvalidSelectors, 2150858843, the shell-not-found text", async () => {
    const r = await s.call({
      action: ACTION.receive,
      resourceUri: RESOURCE_URI.cmd,
      selectors: { ShellId: "00000000-0000-0000-0000-000000000000" },
      body: receiveBody("X"),
    });
    assert.equal(r.res.status, 500);
    const f = faultFromEnvelope(r.env!, 500);
    assert.equal(f?.wsmanCode, 2150858843);
    assert.equal(f?.subcode, "w:InvalidSelectors");
    assert.match(f?.reason ?? "", /ShellId 00000000-0000-0000-0000-000000000000 failed because the shell was not found on the server/);
    assert.equal(r.env?.relatesTo, r.messageId);
  });

  void test("another user's ShellId is not found either", async () => {
    const created = await s.call({ action: ACTION.create, resourceUri: RESOURCE_URI.cmd, body: shellBody({}) });
    const shellId = parseCreateResponse(created.env!);
    const c2 = new RawClient(emu.url);
    try {
      const bob = new NtlmSession(c2, emu.url, "EXAMPLE\\bob", "B0bPass!");
      assert.equal((await bob.flowA()).status, 200);
      const r = await bob.call({ action: ACTION.delete, resourceUri: RESOURCE_URI.cmd, selectors: { ShellId: shellId } });
      assert.equal(r.res.status, 500);
      assert.equal(faultFromEnvelope(r.env!, 500)?.wsmanCode, 2150858843);
      assert.ok(emu.shells.shellIds(USER).includes(shellId), "alice's shell survived bob's Delete");
      assert.equal(emu.requests.at(-1)!.user, "EXAMPLE\\bob");
    } finally {
      c2.close();
    }
  });

  void test("WS-Transfer Get and Put of winrm/config/service via the host's config store", async () => {
    const get = await s.call({ action: ACTION.get, resourceUri: RESOURCE_URI.configService });
    assert.equal(get.res.status, 200, get.xml);
    const doc = parseConfigDocument(get.env!.body);
    assert.equal(doc.path, "winrm/config/service");
    assert.equal(doc.tree.AllowUnencrypted, "false");
    const put = await s.call({
      action: ACTION.put,
      resourceUri: RESOURCE_URI.configServiceAuth,
      body: `<cfg:Auth xmlns:cfg="${RESOURCE_URI.configServiceAuth}"><cfg:Basic>true</cfg:Basic></cfg:Auth>`,
    });
    assert.equal(put.res.status, 200, put.xml);
    assert.equal(parseConfigDocument(put.env!.body).tree.Basic, "true");
    assert.equal(emu["opts"].host.config.serviceAuth.basic, true);
    const bad = await s.call({
      action: ACTION.put,
      resourceUri: RESOURCE_URI.configServiceAuth,
      body: `<cfg:Auth xmlns:cfg="${RESOURCE_URI.configServiceAuth}"><cfg:NoSuchKey>1</cfg:NoSuchKey></cfg:Auth>`,
    });
    assert.equal(bad.res.status, 500);
  });
});
