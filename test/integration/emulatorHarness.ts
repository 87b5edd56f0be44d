/**
 * A deliberately small raw WinRM client for the emulator's own tests: node:http(s) with a keep-alive Agent of one
 * socket (so every request of a test runs on one TCP connection, as connection-bound NTLM needs), the NTLM initiator
 * of provider/src/auth/ntlm.ts and the multipart framing of provider/src/wire/multipart.ts. It does only what a test
 * asks, step by step, so each test can look at every HTTP exchange (the product client hides them).
 */
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";

import type { ChannelBindings, MessageSealer } from "../../provider/src/auth/mechanism.js";
import { NtlmMechanism } from "../../provider/src/auth/ntlm.js";
import { tlsServerEndPointBindings } from "../../provider/src/wire/channelBindings.js";
import { decodeEncryptedBody, encodeEncryptedBody, isEncryptedContentType } from "../../provider/src/wire/multipart.js";
import { buildRequest, type RequestSpec } from "../../provider/src/wsman/envelope.js";
import { parseEnvelope, type Envelope } from "../../provider/src/wsman/parse.js";
import { WinRMConfigStore } from "../../provider/src/testing/index.js";
import { getProfile, type ProfileName } from "../../provider/src/testing/index.js";
import type { EmulatorHost } from "../../provider/src/testing/index.js";

export const SOAP_CT = "application/soap+xml;charset=UTF-8";

export interface RawResponse {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  /** Raw header pairs [name, value, name, value, ...] as received (repeated headers kept apart). */
  rawHeaders: string[];
  body: Buffer;
}

/** Every value of one header, in order, as separate lines (WWW-Authenticate may repeat). */
export function headerValues(res: RawResponse, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    if (res.rawHeaders[i]?.toLowerCase() === name.toLowerCase()) out.push(res.rawHeaders[i + 1] ?? "");
  }
  return out;
}

export class RawClient {
  private readonly agent: http.Agent;
  private readonly target: URL;
  /** DER of the server certificate seen on the (single) connection, for channel bindings. */
  peerCertDer: Buffer | undefined;

  constructor(
    url: string,
    private readonly opts: { ca?: string; servername?: string } = {},
  ) {
    this.target = new URL(url);
    const agentOpts = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1 };
    this.agent = this.target.protocol === "https:" ? new https.Agent({ ...agentOpts, ca: opts.ca }) : new http.Agent(agentOpts);
  }

  post(body: Buffer | string, headers: Record<string, string> = {}): Promise<RawResponse> {
    const payload = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const mod = this.target.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        {
          method: "POST",
          host: this.target.hostname,
          port: this.target.port,
          path: this.target.pathname,
          agent: this.agent,
          headers: { "Content-Type": SOAP_CT, "Content-Length": String(payload.length), ...headers },
          ...(this.opts.servername !== undefined ? { servername: this.opts.servername } : {}),
        },
        (res) => {
          const sock = res.socket as TLSSocket;
          if (typeof sock.getPeerCertificate === "function") {
            const c = sock.getPeerCertificate(false);
            if (c?.raw) this.peerCertDer = c.raw;
          }
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              statusMessage: res.statusMessage ?? "",
              headers: res.headers,
              rawHeaders: res.rawHeaders,
              body: Buffer.concat(chunks),
            }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Send raw bytes on a fresh TCP connection and return the raw response head (for status-line checks). */
export function rawExchange(url: string, request: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname, () => sock.write(request));
    let data = "";
    sock.on("data", (c: Buffer) => {
      data += c.toString("latin1");
      if (data.includes("\r\n\r\n")) {
        sock.destroy();
        resolve(data.slice(0, data.indexOf("\r\n\r\n") + 4));
      }
    });
    sock.on("error", reject);
    sock.on("close", () => resolve(data));
  });
}

/** An authenticated WinRM session over one connection of a RawClient. */
export class NtlmSession {
  readonly mech: NtlmMechanism;
  sealer: MessageSealer | undefined;
  readonly responses: RawResponse[] = [];

  constructor(
    readonly client: RawClient,
    readonly url: string,
    username: string,
    password: string,
  ) {
    this.mech = new NtlmMechanism({ credentials: { username, password }, spn: "HTTP/127.0.0.1" });
  }

  private bindings(): ChannelBindings | undefined {
    return this.client.peerCertDer ? tlsServerEndPointBindings(this.client.peerCertDer) : undefined;
  }

  /** Steps 1-2 of MS-WSMV 2.2.9.1: NEGOTIATE on an empty body; returns the 401 carrying the CHALLENGE. */
  async negotiate(): Promise<RawResponse> {
    const t1 = await this.mech.step({ token: undefined, channelBindings: this.bindings() });
    const res = await this.client.post(Buffer.alloc(0), { Authorization: `Negotiate ${b64(t1)}` });
    this.responses.push(res);
    return res;
  }

  /** The AUTHENTICATE token answering the challenge in `challengeRes`. */
  async authenticateToken(challengeRes: RawResponse, opts: { omitChannelBindings?: boolean } = {}): Promise<string> {
    const channelBindings = opts.omitChannelBindings ? undefined : this.bindings();
    const h = headerValues(challengeRes, "WWW-Authenticate").find((v) => v.startsWith("Negotiate "));
    if (!h) throw new Error(`no Negotiate challenge in ${challengeRes.status} response`);
    const t3 = await this.mech.step({ token: Buffer.from(h.slice("Negotiate ".length), "base64"), channelBindings });
    this.sealer = this.mech.sealer();
    return b64(t3);
  }

  /** Flow A: NEGOTIATE, then AUTHENTICATE on an empty body. Returns the final response (200 expected). */
  async flowA(): Promise<RawResponse> {
    const challenge = await this.negotiate();
    const t3 = await this.authenticateToken(challenge);
    const res = await this.client.post(Buffer.alloc(0), { Authorization: `Negotiate ${t3}` });
    this.responses.push(res);
    return res;
  }

  /** Seal a SOAP message as MS-WSMV 2.2.9.1 frames it. */
  seal(xml: string): { body: Buffer; contentType: string } {
    if (!this.sealer) throw new Error("no sealer yet");
    const plain = Buffer.from(xml, "utf8");
    return encodeEncryptedBody(this.sealer.protocol, this.sealer.wrap(plain), plain.length);
  }

  /** Unseal a response if it is multipart/encrypted; returns the SOAP text (or the plain body). */
  open(res: RawResponse): string {
    const ct = res.headers["content-type"] ?? "";
    if (!isEncryptedContentType(ct)) return res.body.toString("utf8");
    if (!this.sealer) throw new Error("sealed response without a sealer");
    const parts = decodeEncryptedBody(ct, res.body);
    return Buffer.from(this.sealer.unwrap(parts.header, parts.data)).toString("utf8");
  }

  /** Send one sealed SOAP request (optionally with an Authorization header: Flow B). */
  async sealed(xml: string, extraHeaders: Record<string, string> = {}): Promise<{ res: RawResponse; xml: string; env: Envelope | undefined }> {
    const { body, contentType } = this.seal(xml);
    const res = await this.client.post(body, { "Content-Type": contentType, ...extraHeaders });
    this.responses.push(res);
    const text = res.body.length > 0 ? this.open(res) : "";
    return { res, xml: text, env: text ? parseEnvelope(text) : undefined };
  }

  /** Build and send one sealed WS-Man request. */
  async call(
    spec: Omit<RequestSpec, "to">,
  ): Promise<{ res: RawResponse; xml: string; env: Envelope | undefined; messageId: string }> {
    const req = buildRequest({ to: this.url, ...spec });
    return { ...(await this.sealed(req.xml)), messageId: req.messageId };
  }
}

export function b64(t: Uint8Array | undefined): string {
  if (!t) throw new Error("mechanism produced no token");
  return Buffer.from(t).toString("base64");
}

/** The certificate's SHA-256 fingerprint, to compare with what the server presented. */
export function fingerprint(der: Buffer): string {
  return new X509Certificate(der).fingerprint256;
}

/**
 * A scripted host for the server's own tests: the real configuration store and profile, but commands from a small
 * table instead of the cmd interpreter (which host/ tests cover), so these tests pin down the server alone.
 *   echo TEXT      -> TEXT\r\n, exit 0
 *   lines N        -> "line 1\r\n" ... "line N\r\n" (large output)
 *   more           -> reads stdin, echoes it, exit 0
 *   fail           -> "boom\r\n" on stderr, exit 3
 */
export function fakeHost(profileName: ProfileName = "win2019", computerName = "WIN-EMU"): EmulatorHost {
  const profile = getProfile(profileName);
  return {
    profile,
    computerName,
    oemCodePage: 437,
    config: new WinRMConfigStore(profile),
    startCommand(commandLine: string) {
      const [cmd = "", ...rest] = commandLine.trim().split(/\s+/);
      const arg = rest.join(" ");
      const ok = (stdout: string, stderr = "", exitCode = 0) => ({
        stdout: Buffer.from(stdout, "latin1"),
        stderr: Buffer.from(stderr, "latin1"),
        exitCode,
      });
      switch (cmd.toLowerCase()) {
        case "echo":
          return { readsStdin: false, run: async () => ok(`${arg}\r\n`) };
        case "lines": {
          const n = Number(arg);
          return {
            readsStdin: false,
            run: async () => ok(Array.from({ length: n }, (_, i) => `line ${i + 1}\r\n`).join("")),
          };
        }
        case "more":
          return { readsStdin: true, run: async (stdin: Buffer) => ({ stdout: stdin, stderr: Buffer.alloc(0), exitCode: 0 }) };
        case "fail":
          return { readsStdin: false, run: async () => ok("", "boom\r\n", 3) };
        default:
          return { readsStdin: false, run: async () => ok("", `'${cmd}' is not recognized\r\n`, 9009) };
      }
    },
  };
}
