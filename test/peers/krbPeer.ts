/**
 * Drives test/peers/gss_krb_peer.py (MIT krb5 through python3-gssapi, an implementation independent of our addon's
 * bindings): one GSS context per process, JSON lines over stdio (jsonLinesPeer.ts). The protocol is documented in the
 * script.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { JsonLinesPeer, PYTHON } from "./jsonLinesPeer.js";

export { b64, PYTHON, unb64 } from "./jsonLinesPeer.js";

const PEER = fileURLToPath(new URL("../../../test/peers/gss_krb_peer.py", import.meta.url));

export interface KrbPeerResponse {
  ok?: boolean;
  token?: string | null;
  complete?: boolean;
  peer?: string;
  mech?: string;
  header?: string;
  data?: string;
  padding?: string;
  encrypted?: boolean;
  error?: string;
  type?: string;
}

/** Why python3-gssapi cannot run here (a skip message), or false. */
export function pythonGssapiMissing(): string | false {
  const r = spawnSync(PYTHON, ["-c", "import gssapi.raw; gssapi.raw.wrap_iov"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return `${PYTHON} cannot use python3-gssapi: ${r.error?.message ?? r.stderr.trim()}`;
  return false;
}

export class KrbPeer extends JsonLinesPeer<KrbPeerResponse> {
  /** `env`: the KDC's (KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME), merged over process.env. */
  constructor(env: Record<string, string>) {
    super(PEER, env);
  }
}
