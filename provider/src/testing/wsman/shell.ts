/**
 * Windows Remote Shell (cmd) messages, server side, for the emulated host (MS-WSMV 3.1.4.11-3.1.4.15, 4.7): the
 * requests a client sends, parsed, and the response bodies Windows writes. Every body builder returns the inner XML
 * of s:Body and declares the namespaces it uses. The client side is provider/src/wsman/shell.ts.
 */

import { randomUUID } from "node:crypto";
import { ProtocolError } from "../../errors.js";
import { xmlEscape } from "../../wsman/envelope.js";
import { ANONYMOUS, NS } from "../../wsman/namespaces.js";
import { attr, child, childrenOf, textOf, type Envelope } from "../../wsman/parse.js";
import { isTrue, readStreams, requireBodyElement, type ReceivedStream } from "../../wsman/shell.js";

const XMLNS_RSP = `xmlns:rsp="${NS.rsp}"`;

function streamAttrs(name: string, commandId: string | undefined, end: boolean): string {
  return (
    `Name="${xmlEscape(name)}"` +
    (commandId !== undefined ? ` CommandId="${xmlEscape(commandId)}"` : "") +
    (end ? ` End="true"` : "")
  );
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
