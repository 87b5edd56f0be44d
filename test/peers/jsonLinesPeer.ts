/**
 * Drives a python3-gssapi peer script of test/peers (gss_krb_peer.py, gss_ntlm_peer.py): one GSS context per process,
 * JSON lines over stdio, one answer line per request in order (the loop is test/peers/jsonlines_peer.py). Each
 * script documents its own requests.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { basename } from "node:path";

export const PYTHON = "/usr/bin/python3";

/** What every answer may carry: a failure is reported, not fatal (the peer keeps reading). */
export interface PeerFailure {
  error?: string;
  type?: string;
}

export class JsonLinesPeer<R extends PeerFailure> {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string | undefined) => void)[] = [];
  private readonly name: string;
  private stderr = "";
  private exited = false;

  /** `script`: the peer's path; `env` is merged over process.env (KDC settings, NTLM user file, ...). */
  constructor(script: string, env: Record<string, string>) {
    this.name = basename(script);
    // -B: the scripts import jsonlines_peer.py from their own directory; no __pycache__ left in the source tree.
    this.child = spawn(PYTHON, ["-B", script], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    // Answers come in request order, so each line settles the oldest waiting request.
    createInterface({ input: this.child.stdout }).on("line", (line) => this.waiting.shift()?.(line));
    this.child.once("exit", () => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w(undefined);
    });
  }

  /** One request; the answer as it came, a reported failure included. Throws when the process is gone. */
  async call(req: Record<string, unknown>): Promise<R> {
    if (this.exited) throw new Error(`${this.name} is gone: ${this.stderr}`);
    const line = await new Promise<string | undefined>((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(JSON.stringify(req) + "\n");
    });
    if (line === undefined) throw new Error(`${this.name} exited: ${this.stderr}`);
    return JSON.parse(line) as R;
  }

  /** Like call, but a reported failure throws with the peer's error text. */
  async ok(req: Record<string, unknown>): Promise<R> {
    const r = await this.call(req);
    if (r.error !== undefined) throw new Error(`${this.name} ${String(req.op)}: ${r.type ?? ""}: ${r.error}`);
    return r;
  }

  close(): void {
    this.child.stdin.end();
  }
}

export const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
export const unb64 = (s: string | null | undefined): Buffer => Buffer.from(s ?? "", "base64");
