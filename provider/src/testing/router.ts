/**
 * Dispatch of an authenticated, unsealed SOAP request by resource URI and action (MS-WSMV 3.1.4) to the identify,
 * shell and transfer handlers; shell/command lookups that fail become Windows' faults here.
 */
import { buildResponse } from "./wsman/response.js";
import { NS, RESOURCE_URI } from "../wsman/namespaces.js";
import { child, parseEnvelope, type Envelope } from "../wsman/parse.js";
import { parseDurationMs } from "./wsman/duration.js";
import { withActivityId } from "./activityId.js";
import type { HandlerContext } from "./handlers/context.js";
import { envelopeSizeFault } from "./envelopeLimit.js";
import { enumerateAction } from "./handlers/enumerate.js";
import { identifyReply } from "./handlers/identify.js";
import { shellAction } from "./handlers/shell.js";
import { transferAction } from "./handlers/transfer.js";
import { CMD_PLUGIN, faultReply, WSMAN, type Reply } from "./reply.js";
import { CommandNotFoundError, NoCommandError, ProgramNotFoundError, ShellNotFoundError } from "./shellService.js";

/** The reply to one SOAP request of `owner` (the authenticated user). */
export async function routeSoap(ctx: HandlerContext, owner: string, xml: string, signal: AbortSignal): Promise<Reply> {
  const reply = await route(ctx, owner, xml, signal);
  return ctx.activityIds === true ? withActivityId(reply) : reply;
}

async function route(ctx: HandlerContext, owner: string, xml: string, signal: AbortSignal): Promise<Reply> {
  const machine = ctx.host.computerName;
  let env: Envelope;
  try {
    env = parseEnvelope(xml);
  } catch (e) {
    return faultReply(machine, undefined, {
      code: "s:Sender",
      subcode: "w:SchemaValidationError",
      reason: "The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry.",
      wsmanCode: WSMAN.schemaValidation,
    }, `malformed XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (env.action === undefined && child(env.body, NS.wsmid, "Identify")) return identifyReply(ctx, true, true);
  if (env.operationTimeout !== undefined && parseDurationMs(env.operationTimeout) === undefined) {
    // Windows refuses a timeout that is not an xs:duration it accepts (PT-1S) before looking at the action.
    return faultReply(machine, env, {
      code: "s:Sender",
      subcode: "a:InvalidMessageInformationHeader",
      reason: "The WS-Management service cannot process the request. The request contains one or more invalid SOAP headers. ",
      message: `The WS-Management service cannot process the request. The XML contains an invalid timeout field in the SOAP header: ${env.operationTimeout}. `,
      wsmanCode: WSMAN.invalidHeader,
    }, "invalid OperationTimeout");
  }
  const tooLarge = envelopeSizeFault(machine, env, ctx.host.config.maxEnvelopeSizekb);
  if (tooLarge !== undefined) return tooLarge;
  const action = env.action ?? "";
  const relatesTo = env.messageId ?? "";
  const ok = (responseAction: string, body: string): Reply => ({
    status: 200,
    action,
    soap: buildResponse({ action: responseAction, relatesTo, body }),
  });
  try {
    const resource = env.resourceUri ?? "";
    const isShell = resource.toLowerCase() === RESOURCE_URI.cmd.toLowerCase();
    const reply =
      enumerateAction(ctx, env, owner, ok) ??
      (isShell ? await shellAction(ctx, env, owner, ok, signal) : transferAction(ctx, env, resource, ok));
    if (reply !== undefined) return reply;
    return faultReply(machine, env, {
      code: "s:Sender",
      subcode: "a:ActionNotSupported",
      reason: `The action is not supported by the service: ${action}`,
      wsmanCode: WSMAN.actionNotSupported,
    });
  } catch (e) {
    if (e instanceof ShellNotFoundError) {
      return faultReply(machine, env, {
        code: "s:Sender",
        subcode: "w:InvalidSelectors",
        reason:
          `The request for the Windows Remote Shell with ShellId ${e.shellId} failed because the shell was not found ` +
          "on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on " +
          "the server. Provide the correct ShellId or create a new shell and retry the operation.",
        wsmanCode: WSMAN.shellNotFound,
      }, "shell not found");
    }
    if (e instanceof CommandNotFoundError) {
      return faultReply(machine, env, {
        code: "s:Sender",
        subcode: "w:InvalidSelectors",
        // Generic reason, specific message, FaultDetail first, as Windows answers an unknown CommandId.
        reason: "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. ",
        faultDetail: "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
        message:
          "The Windows Remote Shell received a request to perform an operation on a command identifier that does " +
          "not exist. Either the command has completed execution or the client specified an invalid command " +
          "identifier. ",
        wsmanCode: WSMAN.shellNotFound,
      }, "command not found");
    }
    if (e instanceof ProgramNotFoundError) {
      // The cmd plugin's CreateProcess failed: Win32 text of ERROR_FILE_NOT_FOUND, no w:FaultDetail.
      return faultReply(machine, env, {
        code: "s:Receiver",
        subcode: "w:InternalError",
        reason: "The system cannot find the file specified. ",
        providerFault: CMD_PLUGIN,
        wsmanCode: WSMAN.fileNotFound,
      }, "program not found");
    }
    if (e instanceof NoCommandError) {
      return faultReply(machine, env, {
        code: "s:Sender",
        subcode: "w:InvalidParameter",
        reason: "The parameter is incorrect. ",
        faultDetail: "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue",
        providerFault: CMD_PLUGIN,
        wsmanCode: WSMAN.invalidParameter,
      }, "no command in the shell");
    }
    return faultReply(machine, env, {
      code: "s:Sender",
      subcode: "w:SchemaValidationError",
      reason: `The Windows Remote Shell cannot process the request. ${e instanceof Error ? e.message : String(e)}`,
      wsmanCode: WSMAN.schemaValidation,
    });
  }
}
