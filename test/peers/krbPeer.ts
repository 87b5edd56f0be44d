/**
 * Drives test/peers/gss_krb_peer.py (MIT krb5 through python3-gssapi, an implementation independent of our addon's
 * bindings): one GSS context per process, JSON lines over stdio. The protocol is documented in the script.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const PYTHON = "/usr/bin/python3";
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

export class KrbPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string | undefined) => void)[] = [];
  private stderr = "";
  private exited = false;

  /** `env`: the KDC's (KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME), merged over process.env. */
  constructor(env: Record<string, string>) {
    this.child = spawn(PYTHON, [PEER], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout }).on("line", (line) => this.waiting.shift()?.(line));
    this.child.once("exit", () => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w(undefined);
    });
  }

  /** One request; throws with the peer's error text when it failed. */
  async ok(req: Record<string, unknown>): Promise<KrbPeerResponse> {
    if (this.exited) throw new Error(`python peer is gone: ${this.stderr}`);
    const line = await new Promise<string | undefined>((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(JSON.stringify(req) + "\n");
    });
    if (line === undefined) throw new Error(`python peer exited: ${this.stderr}`);
    const r = JSON.parse(line) as KrbPeerResponse;
    if (r.error !== undefined) throw new Error(`python peer ${String(req.op)}: ${r.type ?? ""}: ${r.error}`);
    return r;
  }

  close(): void {
    this.child.stdin.end();
  }
}

export const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
export const unb64 = (s: string | null | undefined): Buffer => Buffer.from(s ?? "", "base64");
