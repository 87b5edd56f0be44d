/**
 * Windows Remote Shell (cmd) message bodies, client and server side (MS-WSMV 2.2.4.7-2.2.4.40, 3.1.4.5-3.1.4.14,
 * 4.7; MS-WSMV 3.1.4 Create; MS-WSMV 3.1.4 Signal). Every body builder returns the inner XML of s:Body; each fragment declares the
 * namespaces it uses so it stays valid inside any envelope.
 */

import { randomUUID } from "node:crypto";
import { ProtocolError } from "../errors.js";
import { formatDuration, xmlEscape } from "./envelope.js";
import { ANONYMOUS, COMMAND_STATE, NS } from "./namespaces.js";
import { attr, child, childrenOf, textOf, type Envelope, type XmlElement } from "./parse.js";

const XMLNS_RSP = `xmlns:rsp="${NS.rsp}"`;

export interface ReceivedStream {
  name: string;
  commandId?: string;
  data: Buffer;
  end: boolean;
}

export interface ReceiveResult {
  streams: ReceivedStream[];
  /** rsp:CommandState/@State (COMMAND_STATE.*) when the response carries one. */
  state?: string;
  /** State is Done: the command completed. A stream's End alone does not mean that. */
  done: boolean;
  /** rsp:ExitCode, read only when done (the spec example shows ExitCode 0 with State Running). */
  exitCode?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

function isTrue(v: string | undefined): boolean {
  return v !== undefined && /^(true|1)$/i.test(v.trim());
}

/**
 * Strict base64 (whitespace tolerated): Buffer.from would silently drop bad characters, so the decoded length is
 * checked against the text's: every character outside the alphabet (or a "=" before the end) costs decoded bytes.
 * Linear and without a per-character regular expression: a 500 KB stream is checked in native code.
 */
function decodeBase64(s: string, what: string): Buffer {
  const spaced = s.includes("\n") || s.includes("\r") || s.includes(" ") || s.includes("\t");
  const compact = spaced ? s.replace(/[ \t\r\n]+/g, "") : s;
  const pad = compact.endsWith("==") ? 2 : compact.endsWith("=") ? 1 : 0;
  const out = compact.length % 4 === 0 ? Buffer.from(compact, "base64") : undefined;
  if (out === undefined || out.length !== (compact.length / 4) * 3 - pad) {
    throw new ProtocolError(`${what}: stream data is not valid base64`);
  }
  return out;
}

function requireBodyElement(env: Envelope, local: string): XmlElement {
  const el = child(env.body, NS.rsp, local);
  if (!el) {
    const got = env.body.children[0];
    throw new ProtocolError(
      `expected rsp:${local} in the SOAP body, got ${got ? `{${got.ns}}${got.local}` : "an empty body"}`,
    );
  }
  return el;
}

function streamAttrs(name: string, commandId: string | undefined, end: boolean): string {
  return (
    `Name="${xmlEscape(name)}"` +
    (commandId !== undefined ? ` CommandId="${xmlEscape(commandId)}"` : "") +
    (end ? ` End="true"` : "")
  );
}

function readStreams(parent: XmlElement, what: string): ReceivedStream[] {
  return childrenOf(parent, NS.rsp, "Stream").map((s) => {
    const r: ReceivedStream = {
      name: attr(s, "Name") ?? "",
      data: decodeBase64(s.text, what),
      end: isTrue(attr(s, "End")),
    };
    const commandId = attr(s, "CommandId");
    if (commandId !== undefined) r.commandId = commandId;
    return r;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// client side: request bodies

/** Header options of a Create (MS-WSMV 3.1.4 Create): WINRS_NOPROFILE and WINRS_CODEPAGE (437 pywinrm, 65001 UTF-8). */
export function shellCreateOptions(opts: { codePage?: number; noProfile?: boolean }): Record<string, string> {
  const o: Record<string, string> = {};
  if (opts.noProfile !== undefined) o.WINRS_NOPROFILE = opts.noProfile ? "TRUE" : "FALSE";
  if (opts.codePage !== undefined) o.WINRS_CODEPAGE = String(opts.codePage);
  return o;
}

/** Header options of a Command (MS-WSMV 3.1.4 Command). */
export function commandOptions(opts: { skipCmdShell?: boolean; consoleModeStdin?: boolean } = {}): Record<string, string> {
  return {
    WINRS_CONSOLEMODE_STDIN: opts.consoleModeStdin === false ? "FALSE" : "TRUE",
    WINRS_SKIP_CMD_SHELL: opts.skipCmdShell ? "TRUE" : "FALSE",
  };
}

/** rsp:Shell for a Create, in the spec example's order (MS-WSMV 4.7.1). */
export function shellBody(opts: {
  env?: Record<string, string>;
  cwd?: string;
  idleTimeoutSec?: number;
  inputStreams?: string;
  outputStreams?: string;
}): string {
  let x = `<rsp:Shell ${XMLNS_RSP}>`;
  const vars = Object.entries(opts.env ?? {});
  if (vars.length > 0) {
    x += `<rsp:Environment>${vars
      .map(([k, v]) => `<rsp:Variable Name="${xmlEscape(k)}">${xmlEscape(v)}</rsp:Variable>`)
      .join("")}</rsp:Environment>`;
  }
  if (opts.cwd !== undefined) x += `<rsp:WorkingDirectory>${xmlEscape(opts.cwd)}</rsp:WorkingDirectory>`;
  if (opts.idleTimeoutSec !== undefined) x += `<rsp:IdleTimeOut>${formatDuration(opts.idleTimeoutSec)}</rsp:IdleTimeOut>`;
  x += `<rsp:InputStreams>${xmlEscape(opts.inputStreams ?? "stdin")}</rsp:InputStreams>`;
  x += `<rsp:OutputStreams>${xmlEscape(opts.outputStreams ?? "stdout stderr")}</rsp:OutputStreams>`;
  return `${x}</rsp:Shell>`;
}

/** rsp:CommandLine: the program in rsp:Command, one rsp:Arguments per argument (Windows joins them with spaces). */
export function commandLineBody(command: string, args: string[], commandId?: string): string {
  const idAttr = commandId !== undefined ? ` CommandId="${xmlEscape(commandId)}"` : "";
  return (
    `<rsp:CommandLine ${XMLNS_RSP}${idAttr}><rsp:Command>${xmlEscape(command)}</rsp:Command>` +
    args.map((a) => `<rsp:Arguments>${xmlEscape(a)}</rsp:Arguments>`).join("") +
    `</rsp:CommandLine>`
  );
}

export function receiveBody(commandId: string, streams = "stdout stderr"): string {
  return (
    `<rsp:Receive ${XMLNS_RSP}><rsp:DesiredStream CommandId="${xmlEscape(commandId)}">` +
    `${xmlEscape(streams)}</rsp:DesiredStream></rsp:Receive>`
  );
}

/** rsp:Send of stdin; End="true" closes the process's stdin. End is always written, as pywinrm does. */
export function sendBody(commandId: string, data: Uint8Array, end: boolean): string {
  const b64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
  return (
    `<rsp:Send ${XMLNS_RSP}><rsp:Stream Name="stdin" CommandId="${xmlEscape(commandId)}" End="${end}">` +
    `${b64}</rsp:Stream></rsp:Send>`
  );
}

export function signalBody(commandId: string, code: string): string {
  return (
    `<rsp:Signal ${XMLNS_RSP} CommandId="${xmlEscape(commandId)}">` +
    `<rsp:Code>${xmlEscape(code)}</rsp:Code></rsp:Signal>`
  );
}

// ---------------------------------------------------------------------------------------------------------------
// client side: response parsing

/**
 * The ShellId of a CreateResponse: the selector named ShellId in x:ResourceCreated/a:ReferenceParameters, else
 * rsp:Shell/rsp:ShellId (newer hosts send both). Returned verbatim: WinRM 1.1 uses `uuid:...`, 2.0+ a bare GUID.
 */
export function parseCreateResponse(env: Envelope): string {
  const created = child(env.body, NS.x, "ResourceCreated");
  const selectors = childrenOf(child(child(created, NS.a, "ReferenceParameters"), NS.w, "SelectorSet"), NS.w, "Selector");
  const sel = selectors.find((s) => attr(s, "Name") === "ShellId");
  const id = sel ? textOf(sel) : textOf(child(child(env.body, NS.rsp, "Shell"), NS.rsp, "ShellId"));
  if (!id) throw new ProtocolError("CreateResponse without a ShellId");
  return id;
}

export function parseCommandResponse(env: Envelope): string {
  const id = textOf(child(requireBodyElement(env, "CommandResponse"), NS.rsp, "CommandId"));
  if (!id) throw new ProtocolError("CommandResponse without a CommandId");
  return id;
}

export function parseReceiveResponse(env: Envelope): ReceiveResult {
  const rr = requireBodyElement(env, "ReceiveResponse");
  const result: ReceiveResult = { streams: readStreams(rr, "ReceiveResponse"), done: false };
  const cs = child(rr, NS.rsp, "CommandState");
  if (cs) {
    const state = attr(cs, "State");
    if (state !== undefined) {
      result.state = state;
      result.done = state === COMMAND_STATE.done;
    }
    const ec = child(cs, NS.rsp, "ExitCode");
    if (result.done && ec) {
      const t = textOf(ec);
      if (!/^-?\d+$/.test(t)) throw new ProtocolError(`ReceiveResponse: ExitCode "${t}" is not an integer`);
      result.exitCode = Number(t);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// server side (emulator): request parsing

export interface ShellCreateRequest {
  env: Record<string, string>;
  /** The same variables in the request's order (`env` puts integer-like names first, as JavaScript objects do). */
  envInOrder: [string, string][];
  cwd?: string;
  codePage?: number;
  noProfile?: boolean;
  inputStreams: string[];
  outputStreams: string[];
  /** rsp:IdleTimeOut as sent (xs:duration). */
  idleTimeout?: string;
}

function words(s: string): string[] {
  return s.split(/[ \t\r\n]+/).filter((w) => w !== "");
}

export function parseShellCreate(env: Envelope): ShellCreateRequest {
  const shell = requireBodyElement(env, "Shell");
  const vars: Record<string, string> = Object.create(null) as Record<string, string>;
  const envInOrder: [string, string][] = [];
  for (const v of childrenOf(child(shell, NS.rsp, "Environment"), NS.rsp, "Variable")) {
    const name = attr(v, "Name");
    if (name !== undefined) {
      vars[name] = v.text;
      envInOrder.push([name, v.text]);
    }
  }
  const input = child(shell, NS.rsp, "InputStreams");
  const output = child(shell, NS.rsp, "OutputStreams");
  const r: ShellCreateRequest = {
    env: vars,
    envInOrder,
    inputStreams: input ? words(input.text) : ["stdin"],
    outputStreams: output ? words(output.text) : ["stdout", "stderr"],
  };
  const cwd = child(shell, NS.rsp, "WorkingDirectory");
  if (cwd) r.cwd = textOf(cwd);
  const idle = child(shell, NS.rsp, "IdleTimeOut");
  if (idle) r.idleTimeout = textOf(idle);
  const cp = env.options.WINRS_CODEPAGE;
  if (cp !== undefined) {
    if (!/^\d+$/.test(cp.trim())) throw new ProtocolError(`WINRS_CODEPAGE "${cp}" is not a number`);
    r.codePage = Number(cp.trim());
  }
  const np = env.options.WINRS_NOPROFILE;
  if (np !== undefined) r.noProfile = isTrue(np);
  return r;
}

export function parseCommandLine(env: Envelope): {
  command: string;
  args: string[];
  commandId?: string;
  skipCmdShell: boolean;
} {
  const cl = requireBodyElement(env, "CommandLine");
  const cmd = child(cl, NS.rsp, "Command");
  if (!cmd) throw new ProtocolError("rsp:CommandLine without rsp:Command");
  const r: { command: string; args: string[]; commandId?: string; skipCmdShell: boolean } = {
    command: cmd.text,
    args: childrenOf(cl, NS.rsp, "Arguments").map((a) => a.text),
    skipCmdShell: isTrue(env.options.WINRS_SKIP_CMD_SHELL),
  };
  const id = attr(cl, "CommandId");
  if (id !== undefined) r.commandId = id;
  return r;
}

export function parseReceive(env: Envelope): { commandId?: string; streams: string[] } {
  const ds = child(requireBodyElement(env, "Receive"), NS.rsp, "DesiredStream");
  const r: { commandId?: string; streams: string[] } = { streams: ds ? words(ds.text) : [] };
  const id = attr(ds, "CommandId");
  if (id !== undefined) r.commandId = id;
  return r;
}

export function parseSend(env: Envelope): { streams: ReceivedStream[] } {
  return { streams: readStreams(requireBodyElement(env, "Send"), "Send") };
}

export function parseSignal(env: Envelope): { commandId?: string; code: string } {
  const sig = requireBodyElement(env, "Signal");
  const r: { commandId?: string; code: string } = { code: textOf(child(sig, NS.rsp, "Code")) };
  const id = attr(sig, "CommandId");
  if (id !== undefined) r.commandId = id;
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// server side (emulator): response bodies

/**
 * A ShellId in the form the WinRM version uses (MS-WSMV 3.1.4 Create): `uuid:` + upper-case GUID on 1.1, a bare
 * upper-case GUID on 2.0+.
 */
export function newShellId(profile: "1.1" | "2.0+", uuid: string = randomUUID()): string {
  const guid = uuid.replace(/^uuid:/i, "").toUpperCase();
  return profile === "1.1" ? `uuid:${guid}` : guid;
}

/**
 * x:ResourceCreated for a Create. WinRM 1.1 writes the anonymous address whatever `address` says and a
 * `uuid:`-prefixed ShellId (WinRb open_shell_v1.xml); 2.0+ the endpoint URL and a bare GUID (open_shell_v2.xml).
 * The shellId is normalised to the profile's form. With `owner` (WinRM 3.0 hosts) an rsp:Shell follows.
 */
export function createResponseBody(opts: {
  shellId: string;
  address: string;
  resourceUri: string;
  profile: "1.1" | "2.0+";
  owner?: string;
  clientIp?: string;
  /** The request's rsp:Environment, echoed back by Windows after rsp:ClientIP. */
  environment?: [string, string][];
  /** The request's rsp:WorkingDirectory, echoed (after ClientIP, before IdleTimeOut, as Windows writes it). */
  workingDirectory?: string;
  /** The shell's idle timeout in ms, echoed as Windows writes it (PT60.000S); default PT7200.000S. */
  idleTimeoutMs?: number;
}): string {
  const shellId = newShellId(opts.profile, opts.shellId);
  const idle = opts.idleTimeoutMs === undefined ? "PT7200.000S" : `PT${(opts.idleTimeoutMs / 1000).toFixed(3)}S`;
  const address = opts.profile === "1.1" ? ANONYMOUS : opts.address;
  let x =
    `<x:ResourceCreated xmlns:x="${NS.x}" xmlns:a="${NS.a}" xmlns:w="${NS.w}">` +
    `<a:Address>${xmlEscape(address)}</a:Address><a:ReferenceParameters>` +
    `<w:ResourceURI>${xmlEscape(opts.resourceUri)}</w:ResourceURI>` +
    `<w:SelectorSet><w:Selector Name="ShellId">${xmlEscape(shellId)}</w:Selector></w:SelectorSet>` +
    `</a:ReferenceParameters></x:ResourceCreated>`;
  if (opts.owner !== undefined && opts.profile !== "1.1") {
    x +=
      `<rsp:Shell ${XMLNS_RSP}><rsp:ShellId>${xmlEscape(shellId)}</rsp:ShellId>` +
      `<rsp:ResourceUri>${xmlEscape(opts.resourceUri)}</rsp:ResourceUri>` +
      `<rsp:Owner>${xmlEscape(opts.owner)}</rsp:Owner>` +
      (opts.clientIp !== undefined ? `<rsp:ClientIP>${xmlEscape(opts.clientIp)}</rsp:ClientIP>` : "") +
      echoedEnvironment(opts.environment) +
      (opts.workingDirectory !== undefined ? `<rsp:WorkingDirectory>${xmlEscape(opts.workingDirectory)}</rsp:WorkingDirectory>` : "") +
      `<rsp:IdleTimeOut>${idle}</rsp:IdleTimeOut><rsp:InputStreams>stdin</rsp:InputStreams>` +
      `<rsp:OutputStreams>stdout stderr</rsp:OutputStreams>` +
      `<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity>` +
      `</rsp:Shell>`;
  }
  return x;
}

/**
 * The rsp:Environment of a CreateResponse: the variables as sent, but Windows leaves each backslash out of the echoed
 * Name (the variable the command sees keeps it), as a recorded Windows Server 2016 answer shows.
 */
function echoedEnvironment(entries: [string, string][] = []): string {
  if (entries.length === 0) return "";
  const items = entries.map(([k, v]) => `<rsp:Variable Name="${xmlEscape(k.split("\\").join(""))}">${xmlEscape(v)}</rsp:Variable>`);
  return `<rsp:Environment>${items.join("")}</rsp:Environment>`;
}

export function commandResponseBody(commandId: string): string {
  return `<rsp:CommandResponse ${XMLNS_RSP}><rsp:CommandId>${xmlEscape(commandId)}</rsp:CommandId></rsp:CommandResponse>`;
}

/**
 * rsp:ReceiveResponse. Non-empty data goes in its own rsp:Stream; `end` adds an empty `End="true"` element after
 * it, as Windows does (it ends both stdout and stderr this way, MS-WSMV note <122>). ExitCode only when given.
 */
export function receiveResponseBody(opts: {
  commandId: string;
  streams: { name: string; data: Buffer; end?: boolean }[];
  state: string;
  exitCode?: number;
}): string {
  let x = `<rsp:ReceiveResponse ${XMLNS_RSP}>`;
  for (const s of opts.streams) {
    if (s.data.length > 0) {
      x += `<rsp:Stream ${streamAttrs(s.name, opts.commandId, false)}>${s.data.toString("base64")}</rsp:Stream>`;
    }
    if (s.end) x += `<rsp:Stream ${streamAttrs(s.name, opts.commandId, true)}></rsp:Stream>`;
  }
  x += `<rsp:CommandState CommandId="${xmlEscape(opts.commandId)}" State="${xmlEscape(opts.state)}"`;
  x += opts.exitCode !== undefined ? `><rsp:ExitCode>${opts.exitCode}</rsp:ExitCode></rsp:CommandState>` : `></rsp:CommandState>`;
  return `${x}</rsp:ReceiveResponse>`;
}

export function sendResponseBody(): string {
  return `<rsp:SendResponse ${XMLNS_RSP}></rsp:SendResponse>`;
}

export function signalResponseBody(): string {
  return `<rsp:SignalResponse ${XMLNS_RSP}></rsp:SignalResponse>`;
}
