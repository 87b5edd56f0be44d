/**
 * WinRS situations the emulated host answers as Windows does, checked without the recorded corpus (the conformance
 * replay checks the same against Windows' own answers): WINRS_SKIP_CMD_SHELL with a program that has no file, a
 * shell-level Receive on a shell without a command, Enumerate of the shells, and environment variable names with
 * punctuation. Requests are built with the client's own envelope builders.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buildRequest, xmlEscape } from "../../provider/src/wsman/envelope.js";
import { ACTION, RESOURCE_URI } from "../../provider/src/wsman/namespaces.js";
import { commandLineBody, commandOptions, shellBody } from "../../provider/src/wsman/shell.js";
import { startEmulatedHost, type RunningEmulatedHost } from "../../provider/src/testing/index.js";
import { RawClient, SOAP_CT } from "./emulatorHarness.js";

const USER = "alice";
const PASSWORD = "Passw0rd!";
const SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";

void describe("emulated WinRS situations", () => {
  let host: RunningEmulatedHost;
  let raw: RawClient;
  before(async () => {
    host = await startEmulatedHost({ users: [{ username: USER, password: PASSWORD }], tls: true, config: { "winrm/config/service/auth": { Basic: "true" } } });
    raw = new RawClient(host.url, { ca: host.ca ?? "" });
  });
  after(async () => {
    raw.close();
    await host.close();
  });

  async function send(spec: Omit<Parameters<typeof buildRequest>[0], "to">): Promise<{ status: number; body: string }> {
    const { xml } = buildRequest({ to: host.url, ...spec });
    const r = await raw.post(xml, { "Content-Type": SOAP_CT, Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}` });
    return { status: r.status, body: r.body.toString("utf8") };
  }

  async function createShell(body = shellBody({})): Promise<{ id: string; body: string }> {
    const r = await send({ action: ACTION.create, resourceUri: RESOURCE_URI.cmd, body });
    assert.equal(r.status, 200, r.body);
    const id = /<rsp:ShellId>([^<]+)<\/rsp:ShellId>/.exec(r.body)?.[1];
    assert.ok(id, r.body);
    return { id, body: r.body };
  }

  async function deleteShell(id: string): Promise<void> {
    assert.equal((await send({ action: ACTION.delete, resourceUri: RESOURCE_URI.cmd, selectors: { ShellId: id } })).status, 200);
  }

  void test("WINRS_SKIP_CMD_SHELL: a bare program name faults at Command (no PATH search), its full path runs", async () => {
    const { id } = await createShell();
    const command = (program: string): Promise<{ status: number; body: string }> =>
      send({
        action: ACTION.command,
        resourceUri: RESOURCE_URI.cmd,
        selectors: { ShellId: id },
        options: commandOptions({ skipCmdShell: true }),
        body: commandLineBody(program, ["Write-Host", "hi"]),
      });
    const missing = await command("powershell.exe");
    assert.equal(missing.status, 500);
    assert.match(missing.body, /<s:Value>s:Receiver<\/s:Value><s:Subcode><s:Value>w:InternalError</);
    assert.match(missing.body, /Code="2147942402"/);
    assert.match(missing.body, /<f:Message><f:ProviderFault provider="Shell cmd plugin" path="%systemroot%\\system32\\winrscmd.dll">The system cannot find the file specified. <\/f:ProviderFault><\/f:Message>/);
    assert.doesNotMatch(missing.body, /FaultDetail/);
    const found = await command("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe");
    assert.equal(found.status, 200, found.body);
    assert.match(found.body, /CommandResponse/);
    await deleteShell(id);
  });

  void test("a Receive without CommandId on a shell with no command: w:InvalidParameter 87, FaultDetail InvalidValue, cmd plugin", async () => {
    const { id } = await createShell();
    const r = await send({
      action: ACTION.receive,
      resourceUri: RESOURCE_URI.cmd,
      selectors: { ShellId: id },
      body: `<rsp:Receive xmlns:rsp="${SHELL}"><rsp:DesiredStream>stdout stderr</rsp:DesiredStream></rsp:Receive>`,
    });
    assert.equal(r.status, 500);
    assert.match(r.body, /<s:Value>s:Sender<\/s:Value><s:Subcode><s:Value>w:InvalidParameter</);
    assert.match(r.body, /<s:Detail><w:FaultDetail>http:\/\/schemas.dmtf.org\/wbem\/wsman\/1\/wsman\/faultDetail\/InvalidValue<\/w:FaultDetail>/);
    assert.match(r.body, /Code="87"/);
    assert.match(r.body, /provider="Shell cmd plugin"[^>]*>The parameter is incorrect. </);
    await deleteShell(id);
  });

  void test("Enumerate of the shell resource lists exactly the user's open shells", async () => {
    const a = await createShell();
    const b = await createShell();
    const enumerate = (): Promise<{ status: number; body: string }> =>
      send({
        action: ACTION.enumerate,
        resourceUri: SHELL,
        body: `<n:Enumerate xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements></n:Enumerate>`,
      });
    const both = await enumerate();
    assert.equal(both.status, 200, both.body);
    assert.match(both.body, /EnumerateResponse<\/a:Action>/);
    const ids = (xml: string): string[] => [...xml.matchAll(/<rsp:ShellId>([^<]+)</g)].map((m) => m[1] ?? "");
    assert.deepEqual(ids(both.body), [a.id, b.id]);
    assert.match(both.body, /<rsp:Owner>alice<\/rsp:Owner>/);
    assert.match(both.body, /<\/w:Items><w:EndOfSequence\/>/);
    await deleteShell(a.id);
    assert.deepEqual(ids((await enumerate()).body), [b.id]);
    await deleteShell(b.id);
    assert.deepEqual(ids((await enumerate()).body), []);
  });

  void test("environment variable names with punctuation are accepted and echoed in order, backslashes left out of the Name", async () => {
    const name = xmlEscape('_-(){}[]<>*+-/\\?"!@#$^&|;:i,.`~0');
    const vars = [["env1", "var1"], ["1234", "5678"], [name, "v"]].map(([k, v]) => `<rsp:Variable Name="${k}">${v}</rsp:Variable>`);
    const { id, body } = await createShell(
      `<rsp:Shell xmlns:rsp="${SHELL}"><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>` +
        `<rsp:Environment>${vars.join("")}</rsp:Environment></rsp:Shell>`,
    );
    // In the request's order, as Windows echoes them.
    const echoed = [...body.matchAll(/<rsp:Variable Name="([^"]*)">/g)].map((m) => m[1]);
    assert.deepEqual(echoed, ["env1", "1234", "_-(){}[]&lt;&gt;*+-/?&quot;!@#$^&amp;|;:i,.`~0"]);
    await deleteShell(id);
  });
});
