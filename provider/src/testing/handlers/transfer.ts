/** WS-Transfer Get and Put of the winrm/config resources (MS-WSMV 3.1.4.1, 3.1.4.2) over the host's config store. */
import { ACTION } from "../../wsman/namespaces.js";
import type { Envelope } from "../../wsman/parse.js";
import { CONFIG_PATHS, parseConfigDocument, renderConfigDocument, type ConfigTree } from "../../wsman/config.js";
import { WinRMConfigError } from "../host/configStore.js";
import { faultReply, WSMAN, type Reply } from "../reply.js";
import type { HandlerContext } from "./context.js";

/** The reply to a Get or Put of a resource other than the shell, or undefined for any other action. */
export function transferAction(ctx: HandlerContext, env: Envelope, resource: string, ok: (responseAction: string, body: string) => Reply): Reply | undefined {
  const action = env.action ?? "";
  if (action !== ACTION.get && action !== ACTION.put) return undefined;
  const path = configPathOf(resource);
  const machine = ctx.host.computerName;
  if (path === undefined) {
    if (resource === "") return undefined;
    return faultReply(machine, env, {
      code: "s:Sender",
      subcode: "w:DestinationUnreachable",
      reason: "The WS-Management service cannot process the request. The resource URI is not valid or not found.",
      wsmanCode: WSMAN.resourceNotFound,
    });
  }
  if (action === ACTION.get) return ok(ACTION.getResponse, configDocument(path, ctx.host.config.get(path)));
  const doc = parseConfigDocument(env.body);
  let updated: ConfigTree;
  try {
    updated = ctx.host.config.put(path, doc.tree);
  } catch (e) {
    return faultReply(machine, env, {
      code: "s:Sender",
      subcode: e instanceof WinRMConfigError && e.kind === "unknownPath" ? "w:InvalidSelectors" : "w:SchemaValidationError",
      reason: e instanceof Error ? e.message : String(e),
      wsmanCode: e instanceof WinRMConfigError ? e.wsmanCode : WSMAN.schemaValidation,
    });
  }
  return ok(ACTION.putResponse, configDocument(path, updated));
}

/**
 * A configuration document as Windows answers it: the cfg:Config of winrm/config without xml:lang (as recorded from
 * real hosts), the sub-resources' roots (cfg:Service, cfg:Auth, ...) with it.
 */
function configDocument(path: keyof typeof CONFIG_PATHS, tree: ConfigTree): string {
  return renderConfigDocument(path, tree, { xmlLang: path !== "winrm/config" });
}

/** winrm/config path for a resource URI (case-insensitive, as Windows matches URIs), or undefined. */
function configPathOf(resourceUri: string): keyof typeof CONFIG_PATHS | undefined {
  const want = resourceUri.trim().replace(/\/+$/, "").toLowerCase();
  return (Object.keys(CONFIG_PATHS) as (keyof typeof CONFIG_PATHS)[]).find(
    (p) => CONFIG_PATHS[p].resourceUri.toLowerCase() === want,
  );
}
