/**
 * The seed corpus of the parser fuzz harness, gathered at run time, never stored in the repository:
 * - what the emulated host really produces: `reg query`, `chcp`, netsh output from EmulatedHost runs in every profile
 *   and locale; NTLM tokens from a real NtlmMechanism <-> NtlmAcceptor handshake; sealed multipart/encrypted bodies;
 *   the envelopes the emulator answers with (the same builders its server uses) and the requests our client sends;
 *   a server certificate made by the emulator's TLS code;
 * - when a directory of recorded Windows traffic is present (FUZZ_FIDELITY_DIR, by default the shared `fidelity`
 *   directory beside the checkout), the responses it holds (its flattened JSON lists and XML stubs), read at run time
 *   and never copied into the repository.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { NtlmMechanism } from "../../provider/src/auth/ntlm.js";
import { encodeEncryptedBody } from "../../provider/src/wire/multipart.js";
import { buildRequest } from "../../provider/src/wsman/envelope.js";
import { buildResponse } from "../../provider/src/testing/wsman/response.js";
import { buildFault, FAULT_REASON } from "../../provider/src/testing/wsman/fault.js";
import { buildIdentifyRequest } from "../../provider/src/wsman/identify.js";
import { buildIdentifyResponse } from "../../provider/src/testing/wsman/identify.js";
import { ACTION, COMMAND_STATE, RESOURCE_URI } from "../../provider/src/wsman/namespaces.js";
import { CONFIG_PATHS, renderConfigDocument, type ConfigPath } from "../../provider/src/wsman/config.js";
import { commandLineBody, receiveBody, sendBody, shellBody, signalBody } from "../../provider/src/wsman/shell.js";
import {
  commandResponseBody,
  createResponseBody,
  receiveResponseBody,
} from "../../provider/src/testing/wsman/shell.js";
import { REG_QUERY_WINHTTP_SETTINGS } from "../../provider/src/hosts/winhttpSettings.js";
import { encodeWinHttpSettings } from "../../provider/src/testing/host/winhttpSettingsWriter.js";
import { NtlmAcceptor } from "../../provider/src/testing/index.js";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import { LOCALES } from "../../provider/src/testing/index.js";
import { PROFILE_NAMES } from "../../provider/src/testing/index.js";
import { generateTlsMaterial } from "../../provider/src/testing/index.js";

export interface SeedCorpus {
  /** WS-Management documents (responses and requests). */
  xml: string[];
  /** `reg query` outputs. */
  regQuery: string[];
  /** WinHttpSettings blobs, latin1. */
  winHttpBlobs: string[];
  /** `chcp` outputs. */
  chcp: string[];
  /** NTLM NEGOTIATE / CHALLENGE / AUTHENTICATE tokens, latin1. */
  ntlm: string[];
  /** "<Content-Type>\n<body as latin1>" of sealed messages. */
  multipart: string[];
  /** DER certificates, latin1. */
  certificates: string[];
  /** Where the recorded Windows responses came from, or undefined when none were found. */
  fidelityDir: string | undefined;
}

const NOW = new Date("2024-03-01T12:00:00Z");

function counterRandom(seed: number): (n: number) => Buffer {
  let c = seed;
  return (n) => Buffer.from(Array.from({ length: n }, () => c++ & 0xff));
}

/** The recorded-traffic directory: FUZZ_FIDELITY_DIR, else the shared `fidelity` directory beside the checkout. */
export function fidelityDirectory(): string | undefined {
  const fromEnv = process.env.FUZZ_FIDELITY_DIR;
  if (fromEnv !== undefined && fromEnv !== "") return existsSync(fromEnv) ? fromEnv : undefined;
  // dist/test/fuzz/seeds.js -> repository root is three levels up.
  const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");
  const dir = resolve(root, "../shared/fidelity");
  return existsSync(dir) ? dir : undefined;
}

function recordedXml(dir: string): string[] {
  const out: string[] = [];
  const flat = join(dir, "pypsrp_all.json");
  if (existsSync(flat)) {
    for (const r of JSON.parse(readFileSync(flat, "utf8")) as { response?: unknown }[]) {
      if (typeof r.response === "string" && r.response.startsWith("<")) out.push(r.response);
    }
  }
  const mz = join(dir, "masterzen.json");
  if (existsSync(mz)) {
    for (const v of Object.values(JSON.parse(readFileSync(mz, "utf8")) as Record<string, unknown>)) {
      if (typeof v === "string" && v.trimStart().startsWith("<")) out.push(v);
    }
  }
  const winrb = join(dir, "winrb");
  if (existsSync(winrb)) {
    for (const f of readdirSync(winrb).sort()) {
      // .erb stubs: fill the template slots with a plausible value.
      if (f.endsWith(".xml") || f.endsWith(".xml.erb")) out.push(readFileSync(join(winrb, f), "utf8").replace(/<%=[^%]*%>/g, "0"));
    }
  }
  return out;
}

function emulatorXml(): string[] {
  const out: string[] = [];
  const rel = "uuid:D00059E8-57D6-4035-AD8D-3EDC495DA163";
  const cmdId = "13E829FC-384D-41C8-88BF-933C03FC2C53";
  const respond = (action: string, body: string): void => void out.push(buildResponse({ action, relatesTo: rel, body }));
  for (const profile of ["1.1", "2.0+"] as const) {
    respond(
      ACTION.createResponse,
      createResponseBody({ shellId: "67A74734-DD32-4F10-89DE-49A060483810", address: "http://h:5985/wsman", resourceUri: RESOURCE_URI.cmd, profile, owner: "WIN\\Administrator", clientIp: "10.0.0.9" }),
    );
  }
  respond(ACTION.commandResponse, commandResponseBody(cmdId));
  respond(
    ACTION.receiveResponse,
    receiveResponseBody({ commandId: cmdId, streams: [{ name: "stdout", data: Buffer.from("hello\r\n"), end: true }, { name: "stderr", data: Buffer.alloc(0), end: true }], state: COMMAND_STATE.done, exitCode: 0 }),
  );
  respond(ACTION.receiveResponse, receiveResponseBody({ commandId: cmdId, streams: [{ name: "stdout", data: Buffer.from("partial") }], state: COMMAND_STATE.running }));
  out.push(buildFault({ relatesTo: rel, code: "s:Receiver", subcode: "w:TimedOut", reason: FAULT_REASON.timedOut, wsmanCode: 2150858793, machine: "win2019" }));
  out.push(
    buildFault({ code: "s:Sender", subcode: "w:InvalidSelectors", reason: "The WS-Management service cannot process the request because the request contained invalid selectors for the resource.", wsmanCode: 2150858843, machine: "h", faultDetail: "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue" }),
  );
  out.push(buildIdentifyResponse({ protocolVersion: "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd", productVendor: "Microsoft Corporation", productVersion: "OS: 10.0.17763 SP: 0.0 Stack: 3.0", securityProfiles: ["http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos"] }));
  out.push(buildIdentifyRequest());
  const host = new EmulatedHost({ profile: "win2019", locale: "en-US" });
  for (const path of Object.keys(CONFIG_PATHS) as ConfigPath[]) {
    respond(ACTION.getResponse, renderConfigDocument(path, host.config.get(path)));
  }
  // What the emulator's server parses: our client's requests.
  const request = (action: string, body: string, options?: Record<string, string>): void =>
    void out.push(buildRequest({ to: "http://h:5985/wsman", action, resourceUri: RESOURCE_URI.cmd, selectors: { ShellId: "S1" }, operationTimeoutSec: 20, ...(options ? { options } : {}), body }).xml);
  request(ACTION.create, shellBody({ env: { A: "1", PATH_X: "c:\\a & b" }, cwd: "C:\\Temp", idleTimeoutSec: 300 }), { WINRS_CODEPAGE: "65001", WINRS_NOPROFILE: "TRUE" });
  request(ACTION.command, commandLineBody("netsh", ["winhttp", "set", "proxy", '"<local>"'], cmdId), { WINRS_SKIP_CMD_SHELL: "FALSE" });
  request(ACTION.receive, receiveBody(cmdId));
  request(ACTION.send, sendBody(cmdId, Buffer.from("input\r\n"), true));
  request(ACTION.signal, signalBody(cmdId, "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate"));
  return out;
}

async function hostOutputs(): Promise<{ regQuery: string[]; chcp: string[] }> {
  const regQuery: string[] = [];
  const chcp: string[] = [];
  const run = async (h: EmulatedHost, line: string): Promise<string> => {
    const r = await h.startCommand(line, { env: {}, codePage: 65001 }).run(Buffer.alloc(0));
    return r.stdout.toString("utf8") + r.stderr.toString("utf8");
  };
  for (const profile of PROFILE_NAMES) {
    for (const locale of LOCALES) {
      const h = new EmulatedHost({ profile, locale, ieProxy: { enabled: true, proxyServer: "ie:8080", bypassList: "<local>;*.corp" } });
      regQuery.push(await run(h, REG_QUERY_WINHTTP_SETTINGS));
      const set = profile === "win2003r2" ? 'proxycfg -p "http=a:80 https=b:443" "<local>;*.corp"' : 'netsh winhttp set proxy proxy-server="http=a:80;https=b:443" bypass-list="<local>;*.corp"';
      regQuery.push(await run(h, set));
      regQuery.push(await run(h, REG_QUERY_WINHTTP_SETTINGS));
      regQuery.push(await run(h, 'reg query "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"'));
      chcp.push(await run(h, "chcp"));
    }
  }
  return { regQuery, chcp };
}

async function ntlmAndMultipart(): Promise<{ ntlm: string[]; multipart: string[] }> {
  const ini = new NtlmMechanism({ credentials: { username: "EXAMPLE\\alice", password: "Passw0rd!" }, spn: "HTTP/win2019.example.test", workstation: "CLIENT1", now: () => NOW, randomBytes: counterRandom(1) });
  const acc = new NtlmAcceptor({ users: [{ domain: "EXAMPLE", user: "alice", password: "Passw0rd!" }], netbiosDomain: "EXAMPLE", netbiosComputer: "WIN2019", dnsComputer: "win2019.example.test", dnsDomain: "example.test", now: () => NOW, randomBytes: counterRandom(100) });
  const negotiate = Buffer.from((await ini.step({ token: undefined, channelBindings: undefined })) ?? []);
  const challenge = acc.step(negotiate).token ?? Buffer.alloc(0);
  const authenticate = Buffer.from((await ini.step({ token: challenge, channelBindings: undefined })) ?? []);
  acc.step(authenticate);
  const multipart: string[] = [];
  const sealer = ini.sealer();
  for (const text of ["<s:Envelope/>", "x".repeat(2000)]) {
    const plain = Buffer.from(text, "utf8");
    const { contentType, body } = encodeEncryptedBody(sealer.protocol, sealer.wrap(plain), plain.length);
    multipart.push(`${contentType}\n${body.toString("latin1")}`);
  }
  return { ntlm: [negotiate, challenge, authenticate].map((b) => b.toString("latin1")), multipart };
}

export async function loadSeeds(): Promise<SeedCorpus> {
  const fidelityDir = fidelityDirectory();
  const xml = [...emulatorXml(), ...(fidelityDir !== undefined ? recordedXml(fidelityDir) : [])];
  const { regQuery, chcp } = await hostOutputs();
  const { ntlm, multipart } = await ntlmAndMultipart();
  const tls = await generateTlsMaterial();
  const winHttpBlobs = [
    encodeWinHttpSettings({ accessType: "direct", proxyServer: "", bypassList: "" }, 0),
    encodeWinHttpSettings({ accessType: "proxy", proxyServer: "http=a:80;https=b:443", bypassList: "<local>;*.corp" }, 7),
  ].map((b) => b.toString("latin1"));
  return { xml, regQuery, winHttpBlobs, chcp, ntlm, multipart, certificates: [tls.certDer.toString("latin1")], fidelityDir };
}
