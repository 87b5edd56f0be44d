/**
 * Windows Remote Shell (cmd) message bodies, client side (MS-WSMV 2.2.4.7-2.2.4.40, 3.1.4.5-3.1.4.14, 4.7; MS-WSMV
 * 3.1.4 Create; MS-WSMV 3.1.4 Signal): request bodies and response parsers. Every body builder returns the inner XML
 * of s:Body; each fragment declares the namespaces it uses so it stays valid inside any envelope. The server side
 * (request parsers and response bodies) belongs to the emulated host: provider/src/testing/wsman/shell.ts.
 */

import { decodeStrictBase64 } from "../wire/base64.js";
import { ProtocolError } from "../errors.js";
import { formatDuration, xmlEscape } from "./envelope.js";
import { COMMAND_STATE, NS } from "./namespaces.js";
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

/** An xs:boolean option or attribute ("true"/"1", any case); also read by the emulator's request parser. */
export function isTrue(v: string | undefined): boolean {
  return v !== undefined && /^(true|1)$/i.test(v.trim());
}

/** Strict base64 (wire/base64.ts): a ProtocolError naming `what` when the text is not base64. */
function decodeBase64(s: string, what: string): Buffer {
  const out = decodeStrictBase64(s);
  if (typeof out === "string") throw new ProtocolError(`${what}: stream data is not valid base64`);
  return out;
}

/** The rsp:<local> child of s:Body, or a ProtocolError naming what came instead (also used by the emulator). */
export function requireBodyElement(env: Envelope, local: string): XmlElement {
  const el = child(env.body, NS.rsp, local);
  if (!el) {
    const got = env.body.children[0];
    throw new ProtocolError(
      `expected rsp:${local} in the SOAP body, got ${got ? `{${got.ns}}${got.local}` : "an empty body"}`,
    );
  }
  return el;
}

/** The rsp:Stream children of a ReceiveResponse or (in the emulator) a Send, base64 decoded strictly. */
export function readStreams(parent: XmlElement, what: string): ReceivedStream[] {
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
