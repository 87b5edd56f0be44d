/**
 * The cmd shell resource (MS-WSMV 3.1.4.11 Create, 3.1.4.12 Command, 3.1.4.13 Send, 3.1.4.14 Receive, 3.1.4.15
 * Signal, WS-Transfer Delete) over the ShellService; shell and command faults are mapped by the router.
 */
import { allowedEnvelopeSize, receivePayloadBudget } from "../envelopeLimit.js";
import { FAULT_REASON } from "../wsman/fault.js";
import { ACTION, COMMAND_STATE, RESOURCE_URI } from "../../wsman/namespaces.js";
import type { Envelope } from "../../wsman/parse.js";
import { parseDurationMs } from "../wsman/duration.js";
import {
  commandResponseBody,
  createResponseBody,
  parseCommandLine,
  parseReceive,
  parseSend,
  parseShellCreate,
  parseSignal,
  receiveResponseBody,
  sendResponseBody,
  signalResponseBody,
} from "../wsman/shell.js";
import { faultReply, WSMAN, type Reply } from "../reply.js";
import type { HandlerContext } from "./context.js";

/** The reply to a shell action, or undefined for an action the shell resource does not have. */
export async function shellAction(
  ctx: HandlerContext,
  env: Envelope,
  owner: string,
  ok: (responseAction: string, body: string) => Reply,
  signal: AbortSignal,
): Promise<Reply | undefined> {
  const shellId = env.selectors.ShellId ?? "";
  switch (env.action) {
    case ACTION.create: {
      const c = parseShellCreate(env);
      const id = ctx.shells.create({
        owner,
        env: c.env,
        cwd: c.cwd,
        codePage: c.codePage ?? ctx.host.oemCodePage,
        inputStreams: c.inputStreams,
        outputStreams: c.outputStreams,
      });
      const stack = ctx.host.profile.stack;
      return ok(
        ACTION.createResponse,
        createResponseBody({
          shellId: id,
          address: ctx.url,
          resourceUri: RESOURCE_URI.cmd,
          profile: stack === "1.1" ? "1.1" : "2.0+",
          owner: stack === "3.0" ? owner : undefined,
          clientIp: stack === "3.0" ? "127.0.0.1" : undefined,
          environment: c.envInOrder,
          workingDirectory: c.cwd,
          idleTimeoutMs: c.idleTimeout === undefined ? undefined : parseDurationMs(c.idleTimeout),
        }),
      );
    }
    case ACTION.command: {
      const c = parseCommandLine(env);
      const id = ctx.shells.command(owner, shellId, c);
      return ok(ACTION.commandResponse, commandResponseBody(id));
    }
    case ACTION.send: {
      ctx.shells.send(owner, shellId, parseSend(env).streams);
      return ok(ACTION.sendResponse, sendResponseBody());
    }
    case ACTION.receive: {
      const r = parseReceive(env);
      // MaxEnvelopeSize: fill the response up to what the request and the host allow (envelopeLimit.ts).
      const budget = receivePayloadBudget(allowedEnvelopeSize(env, ctx.host.config.maxEnvelopeSizekb), ctx.shells.streamElementBytes);
      const chunk = await ctx.shells.receive(owner, shellId, r.commandId, operationTimeoutMs(ctx, env), signal, budget);
      if (!chunk) {
        return faultReply(ctx.host.computerName, env, { code: "s:Receiver", subcode: "w:TimedOut", reason: FAULT_REASON.timedOut, wsmanCode: WSMAN.timedOut });
      }
      return ok(
        ACTION.receiveResponse,
        receiveResponseBody({
          commandId: chunk.commandId,
          streams: chunk.streams,
          state: chunk.done ? COMMAND_STATE.done : COMMAND_STATE.running,
          exitCode: chunk.done ? chunk.exitCode : undefined,
        }),
      );
    }
    case ACTION.signal: {
      const s = parseSignal(env);
      ctx.shells.signal(owner, shellId, s.commandId, s.code);
      return ok(ACTION.signalResponse, signalResponseBody());
    }
    case ACTION.delete: {
      ctx.shells.delete(owner, shellId);
      return ok(ACTION.deleteResponse, "");
    }
    default:
      return undefined;
  }
}

/** The Receive wait: the request's OperationTimeout, bounded by MaxTimeoutms (MS-WSMV 2.2.4) and the test cap. */
function operationTimeoutMs(ctx: HandlerContext, env: Envelope): number {
  let max = 60_000;
  try {
    const v = ctx.host.config.get("winrm/config").MaxTimeoutms;
    if (typeof v === "string" && /^\d+$/.test(v)) max = Number(v);
  } catch {
    // keep the default
  }
  const asked = env.operationTimeout !== undefined ? parseDurationMs(env.operationTimeout) : undefined;
  // Missing or above MaxTimeoutms => MaxTimeoutms (MS-WSMV 2.2.4); the test cap bounds it further.
  let ms = asked === undefined || asked > max ? max : asked;
  if (ctx.maxOperationTimeoutMs !== undefined) ms = Math.min(ms, ctx.maxOperationTimeoutMs);
  return ms;
}
