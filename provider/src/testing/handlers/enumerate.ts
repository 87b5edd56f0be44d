/**
 * WS-Enumeration Enumerate of the shell resource (MS-WSMV 3.1.4.8.2; DSP0226 8.2 OptimizeEnumeration): the requesting
 * user's shells, each an rsp:Shell with the fields Windows lists, in its order (as a recorded Windows Server answer
 * shows). Every shell comes in the EnumerateResponse itself with w:EndOfSequence, as Windows answers pypsrp's
 * optimized Enumerate; Pull is not emulated, so a request without OptimizeEnumeration gets the same answer.
 */
import { xmlEscape } from "../../wsman/envelope.js";
import { ACTION, NS, RESOURCE_URI } from "../../wsman/namespaces.js";
import type { Envelope } from "../../wsman/parse.js";
import type { Reply } from "../reply.js";
import type { ShellSummary } from "../shellService.js";
import type { HandlerContext } from "./context.js";

/** The generic shell resource (all shells of the user) and the cmd shell resource (the emulator has only cmd shells). */
const SHELL_RESOURCES = [RESOURCE_URI.cmd.slice(0, -"/cmd".length), RESOURCE_URI.cmd].map((u) => u.toLowerCase());
/** Most shells one answer lists (the service's own limits keep far fewer). */
const MAX_ITEMS = 1000;

/** The reply to Enumerate on a shell resource, or undefined for anything else. */
export function enumerateAction(
  ctx: HandlerContext,
  env: Envelope,
  owner: string,
  ok: (responseAction: string, body: string) => Reply,
): Reply | undefined {
  if (env.action !== ACTION.enumerate || !SHELL_RESOURCES.includes((env.resourceUri ?? "").trim().toLowerCase())) return undefined;
  const items = ctx.shells
    .list(owner)
    .slice(0, MAX_ITEMS)
    .map((s) => shellItem(s, ctx.host.profile.stack === "3.0"));
  return ok(
    ACTION.enumerateResponse,
    `<n:EnumerateResponse xmlns:n="${NS.n}" xmlns:w="${NS.w}"><n:EnumerationContext></n:EnumerationContext>` +
      `<w:Items>${items.join("")}</w:Items><w:EndOfSequence/></n:EnumerateResponse>`,
  );
}

/** One rsp:Shell of an enumeration, fields in Windows' order. */
function shellItem(s: ShellSummary, withClient: boolean): string {
  const now = Date.now();
  const field = (name: string, value: string): string => `<rsp:${name}>${xmlEscape(value)}</rsp:${name}>`;
  return (
    `<rsp:Shell xmlns:rsp="${NS.rsp}">` +
    field("ShellId", s.id) +
    field("ResourceUri", RESOURCE_URI.cmd) +
    field("Owner", s.options.owner) +
    (withClient ? field("ClientIP", "127.0.0.1") : "") +
    field("ProcessId", String(processId(s.id))) +
    field("IdleTimeOut", "PT7200.000S") +
    field("InputStreams", s.options.inputStreams.join(" ")) +
    field("OutputStreams", s.options.outputStreams.join(" ")) +
    field("MaxIdleTimeOut", "PT2147483.647S") +
    field("Locale", "en-US") +
    field("DataLocale", "en-US") +
    field("CompressionMode", "NoCompression") +
    field("ProfileLoaded", "Yes") +
    field("Encoding", "UTF8") +
    field("BufferMode", "Block") +
    field("State", "Connected") +
    field("ShellRunTime", dayTimeDuration(now - s.createdAt)) +
    field("ShellInactivity", dayTimeDuration(now - s.lastActivity)) +
    field("MemoryUsed", "2MB") +
    field("ChildProcesses", String(s.runningCommands)) +
    `</rsp:Shell>`
  );
}

/** A stable made-up process id of the shell's host process (winrshost.exe), a multiple of 4 as Windows hands out. */
function processId(shellId: string): number {
  let h = 0;
  for (const c of shellId) h = (h * 31 + c.charCodeAt(0)) % 16_000;
  return 1000 + h * 4;
}

/** xs:duration as Windows writes shell times: P<d>DT<h>H<m>M<s>S. */
function dayTimeDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  return `P${d}DT${h}H${m}M${total % 60}S`;
}
