/** wsmid:Identify (MS-WSMV 3.1.4.16): authenticated, or anonymous with `WSMANIDENTIFY: unauthenticated` (3.1.4.16.1). */
import { buildIdentifyResponse } from "../wsman/identify.js";
import type { Reply } from "../reply.js";
import type { HandlerContext } from "./context.js";

const IDENTIFY_PROTOCOL_VERSION = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
const SECPROFILE = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile";
const ANONYMOUS_PRODUCT_VERSION = "OS: 0.0.0 SP: 0.0 Stack: 2.0";

/** `isIdentify`: the body is a wsmid:Identify request (else the WSMANIDENTIFY header came with something else). */
export function identifyReply(ctx: HandlerContext, isIdentify: boolean, authenticated: boolean): Reply {
  // An unauthenticated Identify hides the versions: Windows answers "OS: 0.0.0 SP: 0.0 Stack: 2.0" whatever it runs
  // (seen from a Server 2012 R2 host whose authenticated answer says Stack: 3.0).
  const productVersion = authenticated ? ctx.host.profile.productVersion : ANONYMOUS_PRODUCT_VERSION;
  const scheme = ctx.tls ? "https" : "http";
  const auth = ctx.host.config.serviceAuth;
  const securityProfiles: string[] = [];
  if (authenticated) {
    if (auth.basic) securityProfiles.push(`${SECPROFILE}/${scheme}/basic`);
    if (auth.negotiate || auth.kerberos) securityProfiles.push(`${SECPROFILE}/${scheme}/spnego-kerberos`);
    if (auth.certificate && scheme === "https") securityProfiles.push(`${SECPROFILE}/https/mutual`);
  }
  if (!isIdentify) return { status: 400, note: "WSMANIDENTIFY header without an Identify body" };
  return {
    status: 200,
    action: "Identify",
    note: authenticated ? undefined : "unauthenticated Identify",
    soap: buildIdentifyResponse({
      protocolVersion: IDENTIFY_PROTOCOL_VERSION,
      productVendor: "Microsoft Corporation",
      productVersion,
      securityProfiles: authenticated ? securityProfiles : undefined,
      anonymous: !authenticated,
    }),
  };
}
