/**
 * The emulated Windows host's WinRM service: an HTTP(S) WS-Management listener that behaves, on the wire, like
 * wsmsvc behind http.sys (sections 1, 2 and 6), backed by an EmulatedHost (host/host.ts) for commands and
 * configuration.
 *
 * What it reproduces, and why:
 * - http.sys framing: status lines without a reason phrase (`HTTP/1.1 401 `), `Server: Microsoft-HTTPAPI/2.0`,
 *   always a Content-Length, never chunked (RFC 9112); header lines in http.sys' order (httpSysHeaders.ts), no
 *   Connection line on an answer that keeps the connection.
 * - Authentication belongs to one TCP connection (MS-WSMV 2.2.9.1): each connection has its own NTLM acceptor and,
 *   once complete, its own sealing keys and sequence numbers. A new connection starts anonymous.
 * - The 401 lists one WWW-Authenticate per enabled Service/Auth scheme (RFC 4559 4; winrm/config/service/auth, provider/src/testing/host/configStore.ts).
 * - NTLM under Negotiate, both handshake flows: Flow A (AUTHENTICATE on an empty body => 200 empty) and Flow B
 *   (AUTHENTICATE riding with the first sealed message, MS-WSMV 4.5).
 * - Service/AllowUnencrypted=false (MS-WSMV 3.1.4.1.29.1, MS-WSMV 3.1.4.1.29.1 "MUST NOT accept"): over HTTP an unsealed
 *   SOAP body is refused with a bodiless 401 after authentication (the 401 loop of hashicorp/packer #6205), and Basic
 *   is refused outright (it can never be sealed).
 * - Identify (MS-WSMV 3.1.4.16), authenticated or with `WSMANIDENTIFY: unauthenticated`, the latter hiding the OS
 *   versions as Windows does ("OS: 0.0.0 SP: 0.0 Stack: 2.0").
 * - The cmd shell lifecycle with Windows' faults (shellService.ts), WS-Transfer Get/Put of winrm/config resources.
 *
 * This file is the listener: HTTP(S), connections and their authentication (the acceptors live beside the initiators
 * they mirror, auth/ntlmAcceptor.ts and auth/kerberos/kerberosAcceptor.ts), sealing and http.sys framing. What a SOAP
 * request asks is dispatched by router.ts to handlers/ (identify, shell, transfer); reply.ts is what they return.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo, Socket } from "node:net";

import type { ChannelBindings } from "../auth/mechanism.js";
import { isRecordSealer, sealBody, type Sealer } from "../auth/sealedBody.js";
import { credsspHttpCertificate, openCredSSPRequest } from "./credsspHttp.js";
import { splitUsername } from "../auth/mechanism.js";
import { AuthenticationError } from "../errors.js";
import { tlsServerEndPointBindings } from "../wire/channelBindings.js";
import { MessageType, NTLMSSP_SIGNATURE, ntlmMessageType } from "../wire/ntlm/messages.js";
import { decodeEncryptedBody, isEncryptedContentType } from "../wire/multipart.js";
import { NS } from "../wsman/namespaces.js";
import { child, parseEnvelope } from "../wsman/parse.js";
import type { TLSSocket } from "node:tls";
import { NtlmAcceptor, type NtlmAcceptorOptions } from "../auth/ntlmAcceptor.js";
import { CredSSPAcceptor, type CredSSPScenario, stepCredSSPLeg } from "../auth/credsspAcceptor.js";
import { MUTUAL_PROFILE_URI, acceptClientCertificate, certificateServerOptions, type CertificateAuthOptions } from "./certMapping.js";
import { requestClientCertificate } from "./clientCertNegotiation.js";
import { KerberosAcceptor } from "../auth/kerberos/kerberosAcceptor.js";
import { loadGssapi } from "../auth/kerberos/gssapi.js";
import type { EmulatorHost, HandlerContext } from "./handlers/context.js";
import { identifyReply } from "./handlers/identify.js";
import type { WinRMConfigStore } from "./host/configStore.js";
import type { Reply } from "./reply.js";
import type { AuthState, RequestLogEntry } from "./requestLog.js";
import { routeSoap } from "./router.js";
import { ShellService } from "./shellService.js";
import { httpSysHeaderOrder } from "./httpSysHeaders.js";
import { generateTlsMaterial, type SignatureHash, type TlsMaterial } from "./tls.js";

export type { RequestLogEntry } from "./requestLog.js";

export type CbtHardeningLevel = "None" | "Relaxed" | "Strict";

export type { EmulatorHost } from "./handlers/context.js";

export interface WinRMEmulatorOptions {
  /** Certificate authentication (https/mutual): trusted client CAs and winrm/config/service/certmapping (certMapping.ts). */
  certificateAuth?: CertificateAuthOptions;
  host: EmulatorHost;
  /** Accounts that may log on, "DOMAIN\\name" (or a bare local name) with their password. */
  users: { username: string; password: string }[];
  /** Default 127.0.0.1. */
  listenHost?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Serve HTTPS with a CA + server certificate made at start. */
  tls?: boolean;
  /** Signature hash of the generated certificates (decides the CBT hash); default SHA-256. */
  tlsHash?: SignatureHash;
  /** The lowest TLS version the listener accepts ("TLSv1.3": a host with TLS 1.2 turned off in SCHANNEL). */
  tlsMinVersion?: "TLSv1.3";
  /** Overrides Service/Auth/CbtHardeningLevel of the host's config (HTTPS only, winrm/config/service/auth, provider/src/testing/host/configStore.ts). */
  cbtHardening?: CbtHardeningLevel;
  /** Upper bound of any OperationTimeout in ms, below MaxTimeoutms (tests use short timeouts). */
  maxOperationTimeoutMs?: number;
  /** Most output bytes per Receive (before base64); default 64 KiB. */
  receiveChunkBytes?: number;
  /** Write p:ActivityId in every SOAP response header, as some Windows hosts do (activityId.ts). */
  activityIds?: boolean;
  /** Close the connection after the anonymous 401 (`Connection: close`), as the RFC 4559 4 capture shows. */
  closeAfterAnonymous401?: boolean;
  /**
   * Keytab with the host's `HTTP/<name>` keys: the host then accepts Kerberos (raw krb5 or SPNEGO under `Negotiate`,
   * and the `Kerberos` scheme when Service/Auth/Kerberos is on), realm settings from KRB5_CONFIG. Needs the GSSAPI
   * addon.
   */
  keytab?: string;
  /**
   * Whether a host with a keytab also lists and accepts the `Kerberos` HTTP scheme (default true). false: it offers only
   * `Negotiate` (Kerberos in SPNEGO, or NTLM), as a Windows host not configured to list `WWW-Authenticate: Kerberos`;
   * an `Authorization: Kerberos` request then gets 401 with the schemes it does offer.
   */
  offerKerberosScheme?: boolean;
  /** CredSSP scenario knobs (auth/credsspAcceptor.ts): an old host (maxVersion 4), a mismatched key binding. */
  credssp?: CredSSPScenario;
  /** Called for every request logged (main.ts --verbose). */
  onRequest?: (entry: RequestLogEntry) => void;
  /** For deterministic NTLM challenges in tests. */
  now?: () => Date;
  randomBytes?: (n: number) => Buffer;
}

interface ConnState {
  id: number;
  tls: boolean;
  /** Scheme of the connection-bound context ("Negotiate"), while a handshake runs or after it completed. */
  scheme?: string;
  acceptor?: NtlmAcceptor;
  /** The Kerberos acceptor context of this connection, when the client spoke Kerberos. */
  krb?: KerberosAcceptor;
  /** The CredSSP acceptor context of this connection (auth/credsspAcceptor.ts). */
  credssp?: CredSSPAcceptor;
  state: AuthState;
  user?: string;
  sealer?: Sealer;
}


const SERVER_HEADER = "Microsoft-HTTPAPI/2.0";
/** http.sys drops a connection idle for 2 minutes (its IdleConnectionTimeout default). */
const IDLE_CONNECTION_MS = 120_000;
const SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8";

export class WinRMEmulator {
  readonly requests: RequestLogEntry[] = [];
  readonly shells: ShellService;
  private connectionCount = 0;
  private readonly conns = new WeakMap<Socket, ConnState>();
  private readonly sockets = new Set<Socket>();
  private channelBindings: ChannelBindings | undefined;
  private urlValue = "";

  private constructor(
    private readonly opts: WinRMEmulatorOptions,
    private readonly server: http.Server,
    readonly tlsMaterial: TlsMaterial | undefined,
  ) {
    const stack = opts.host.profile.stack;
    this.shells = new ShellService({
      host: opts.host,
      shellIdPrefix: stack === "1.1" ? "uuid:" : "",
      receiveChunkBytes: opts.receiveChunkBytes,
    });
    if (tlsMaterial) this.channelBindings = tlsServerEndPointBindings(tlsMaterial.certDer);
  }

  static async start(opts: WinRMEmulatorOptions): Promise<WinRMEmulator> {
    // Fail at start, not at the first client, when Kerberos is asked for without the addon.
    if (opts.keytab !== undefined) loadGssapi("keytab");
    const material = opts.tls
      ? await generateTlsMaterial({
          dnsNames: ["localhost", opts.host.computerName.toLowerCase()],
          hash: opts.tlsHash,
        })
      : undefined;
    const serverOpts: http.ServerOptions = { keepAlive: true };
    const server = material
      ? https.createServer({ ...serverOpts, key: material.keyPem, cert: material.certPem, ...certificateServerOptions(opts.certificateAuth), ...(opts.tlsMinVersion !== undefined ? { minVersion: opts.tlsMinVersion } : {}) })
      : http.createServer(serverOpts);
    const emu = new WinRMEmulator(opts, server, material);
    // http.sys keeps an idle connection for 2 minutes; a connection-bound NTLM context must survive the client's
    // think time between commands, so don't let node's 5 s default drop it.
    // Node's own keep-alive timer would also write a `Keep-Alive: timeout=` header, which http.sys never sends: the
    // idle limit is kept per socket instead (accept()).
    server.keepAliveTimeout = 0;
    server.headersTimeout = 125_000;
    server.requestTimeout = 0;
    server.on(material ? "secureConnection" : "connection", (socket: Socket) => {
      emu.accept(socket);
    });
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => emu.onRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, opts.listenHost ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    const hostPart = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    emu.urlValue = `${material ? "https" : "http"}://${hostPart}:${addr.port}/wsman`;
    return emu;
  }

  /** http://127.0.0.1:PORT/wsman (https when tls). */
  get url(): string {
    return this.urlValue;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * An administrator rotating an account's password: connections authenticated before keep their context (NTLM
   * authenticates a connection, not a request); every new handshake needs the new password.
   */
  setUserPassword(username: string, password: string): void {
    const user = this.opts.users.find((u) => u.username.toLowerCase() === username.toLowerCase());
    if (user === undefined) throw new Error(`no emulated account ${username}`);
    user.password = password;
  }

  /** The CA certificate clients must trust (tls only). */
  get caPem(): string | undefined {
    return this.tlsMaterial?.caPem;
  }

  /** TCP connections accepted so far (TLS: completed handshakes). */
  get connections(): number {
    return this.connectionCount;
  }

  /** Drop every open connection (their auth contexts die with them), as a service restart or a proxy reset would. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private accept(socket: Socket): ConnState {
    const state: ConnState = { id: ++this.connectionCount, tls: this.tlsMaterial !== undefined, state: "anonymous" };
    this.conns.set(socket, state);
    this.sockets.add(socket);
    socket.setTimeout(IDLE_CONNECTION_MS, () => socket.destroy());
    socket.once("close", () => {
      this.sockets.delete(socket);
      // The connection's Kerberos context dies with it.
      state.krb?.dispose();
    });
    return state;
  }

  private conn(req: http.IncomingMessage): ConnState {
    return this.conns.get(req.socket) ?? this.accept(req.socket);
  }

  private get handlerContext(): HandlerContext {
    return {
      host: this.opts.host,
      shells: this.shells,
      url: this.url,
      tls: this.tlsMaterial !== undefined,
      ...(this.opts.maxOperationTimeoutMs !== undefined ? { maxOperationTimeoutMs: this.opts.maxOperationTimeoutMs } : {}),
      ...(this.opts.activityIds === true ? { activityIds: true } : {}),
    };
  }

  private get config(): WinRMConfigStore {
    return this.opts.host.config;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const abort = new AbortController();
      res.once("close", () => abort.abort());
      this.handle(req, body, abort.signal)
        .catch((e: unknown): Reply => ({
          status: 500,
          note: `emulator error: ${e instanceof Error ? e.message : String(e)}`,
        }))
        .then((r) => this.finish(req, res, body, r))
        .catch(() => res.destroy());
    });
  }

  /** The encryption state of the request being handled, keyed by the request (set in handle, read in finish). */
  private readonly sealedRequests = new WeakSet<http.IncomingMessage>();
  private readonly authSchemes = new WeakMap<http.IncomingMessage, string>();

  private async finish(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, r: Reply): Promise<void> {
    const conn = this.conn(req);
    const headers: Record<string, string | string[]> = { Server: SERVER_HEADER, ...(r.headers ?? {}) };
    let payload: Buffer = Buffer.alloc(0);
    const sealed = this.sealedRequests.has(req);
    if (r.soap !== undefined) {
      const plain = Buffer.from(r.soap, "utf8");
      if (sealed && conn.sealer) {
        // A sealed request gets a sealed answer, faults included (MS-WSMV 2.2.4.43), with the server->client keys.
        // CredSSP: 16 KiB records, several as multipart/x-multi-encrypted, like Windows (auth/sealedBody.ts).
        const enc = await sealBody(conn.sealer, plain);
        headers["Content-Type"] = enc.contentType;
        payload = enc.body;
      } else {
        headers["Content-Type"] = SOAP_CONTENT_TYPE;
        payload = plain;
      }
    }
    headers["Content-Length"] = String(payload.length);
    // http.sys writes no reason phrase: "HTTP/1.1 401 " (RFC 9112), and its header lines in its own order.
    res.sendDate = false;
    // An answer that keeps the connection carries no Connection line (http.sys); Node would add "keep-alive".
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "connection")) res.removeHeader("Connection");
    res.writeHead(r.status, "", httpSysHeaderOrder(headers, this.opts.now?.() ?? new Date()));
    res.end(payload);
    const entry: RequestLogEntry = {
      connection: conn.id,
      method: req.method ?? "",
      path: req.url ?? "",
      status: r.status,
      authState: conn.state,
      encrypted: sealed,
      bodyBytes: body.length,
    };
    const scheme = this.authSchemes.get(req);
    if (scheme !== undefined) entry.authScheme = scheme;
    if (conn.user !== undefined && conn.state === "authenticated") entry.user = conn.user;
    if (r.action !== undefined) entry.action = r.action;
    if (r.note !== undefined) entry.note = r.note;
    if (r.gssFlags !== undefined) entry.gssFlags = r.gssFlags;
    this.requests.push(entry);
    this.opts.onRequest?.(entry);
  }

  /** The `Kerberos` HTTP scheme is listed and accepted (Service/Auth/Kerberos on, a keytab, not turned off). */
  private get kerberosScheme(): boolean {
    return this.config.serviceAuth.kerberos && this.opts.keytab !== undefined && this.opts.offerKerberosScheme !== false;
  }

  /** WWW-Authenticate lines, one per enabled Service/Auth scheme (RFC 4559 4). */
  private challengeHeaders(): string[] {
    const auth = this.config.serviceAuth;
    const h: string[] = [];
    if (auth.negotiate || auth.kerberos) h.push("Negotiate");
    // A host that can take Kerberos also offers the Kerberos scheme (RFC 4559 4: domain-joined hosts).
    if (this.kerberosScheme) h.push("Kerberos");
    if (auth.basic) h.push('Basic realm="WSMAN"');
    if (auth.credSSP) h.push("CredSSP");
    return h;
  }

  private unauthorized(note: string, action?: string, close = false): Reply {
    const headers: Record<string, string | string[]> = { "WWW-Authenticate": this.challengeHeaders() };
    if (close) headers.Connection = "close";
    return { status: 401, headers, note, action };
  }

  private resetAuth(conn: ConnState): void {
    conn.state = "anonymous";
    delete conn.scheme;
    delete conn.acceptor;
    conn.krb?.dispose();
    delete conn.krb;
    conn.credssp?.dispose();
    delete conn.credssp;
    delete conn.user;
    delete conn.sealer;
  }

  /**
   * What both acceptors check of channel bindings (winrm/config/service/auth, provider/src/testing/host/configStore.ts): the listener's tls-server-end-point bindings and
   * the CbtHardeningLevel over HTTPS; over HTTP there is no channel to bind to.
   */
  private bindingPolicy(conn: ConnState): { channelBindings: ChannelBindings | undefined; cbtHardening: CbtHardeningLevel } {
    if (!conn.tls) return { channelBindings: undefined, cbtHardening: "None" };
    return {
      channelBindings: this.channelBindings,
      cbtHardening: this.opts.cbtHardening ?? this.config.serviceAuth.cbtHardeningLevel,
    };
  }

  /** CredSSP's TLS server end: the listener's certificate over HTTPS, a self-signed one over HTTP (testing/credsspHttp.ts). */
  private credsspMaterial: Promise<TlsMaterial> | undefined;

  private newCredSSPAcceptor(conn: ConnState, material: TlsMaterial): CredSSPAcceptor {
    return new CredSSPAcceptor({ ntlm: { ...this.ntlmAcceptorOptions(conn), channelBindings: undefined, cbtHardening: "None" }, keytab: this.opts.keytab, certPem: material.certPem, keyPem: material.keyPem, ...this.opts.credssp });
  }

  private newAcceptor(conn: ConnState): NtlmAcceptor {
    return new NtlmAcceptor(this.ntlmAcceptorOptions(conn));
  }

  private ntlmAcceptorOptions(conn: ConnState): NtlmAcceptorOptions {
    const host = this.opts.host;
    const domain = host.domain;
    const computer = host.computerName.toUpperCase();
    const users = this.opts.users.map((u) => {
      const { user, domain: d } = splitUsername(u.username);
      return { domain: d, user, password: u.password };
    });
    return {
      users,
      // A workgroup host names itself as the NetBIOS domain (MS-NLMP 2.2.1.2: TargetName is the server name then).
      netbiosDomain: domain ? domain.toUpperCase() : computer,
      netbiosComputer: computer,
      dnsComputer: host.computerName.toLowerCase(),
      dnsDomain: (domain ?? host.computerName).toLowerCase(),
      ...this.bindingPolicy(conn),
      now: this.opts.now,
      randomBytes: this.opts.randomBytes,
    };
  }

  private async handle(req: http.IncomingMessage, body: Buffer, signal: AbortSignal): Promise<Reply> {
    const conn = this.conn(req);
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (path.toLowerCase() !== "/wsman") {
      // http.sys answers URLs nobody registered itself.
      return { status: 404, note: "no listener for this URL" };
    }
    if (req.method !== "POST") return { status: 405, headers: { Allow: "POST", Connection: "close" }, note: "only POST" };

    const contentType = req.headers["content-type"] ?? "";
    const encrypted = body.length > 0 && isEncryptedContentType(contentType);

    // Unauthenticated Identify (MS-WSMV 3.1.4.16.1): answered before any authentication.
    const identifyHeader = req.headers["wsmanidentify"];
    if (typeof identifyHeader === "string" && identifyHeader.trim().toLowerCase() === "unauthenticated" && !encrypted) {
      return identifyReply(this.handlerContext, isIdentifyBody(body.toString("utf8")), false);
    }

    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const sp = authorization.indexOf(" ");
      const scheme = sp < 0 ? authorization : authorization.slice(0, sp);
      const tokenB64 = sp < 0 ? "" : authorization.slice(sp + 1).trim();
      this.authSchemes.set(req, scheme);
      const auth = this.config.serviceAuth;
      const lower = scheme.toLowerCase();
      const tokenBytes = Buffer.from(tokenB64, "base64");
      const kerberosToken = this.opts.keytab !== undefined && tokenBytes.length > 0 && !isNtlmToken(tokenBytes);
      if (
        (lower === "kerberos" && this.kerberosScheme) ||
        (lower === "negotiate" && (auth.negotiate || auth.kerberos) && kerberosToken)
      ) {
        const r = this.stepKerberos(conn, lower === "kerberos" ? "Kerberos" : "Negotiate", tokenBytes);
        if ("reply" in r) return r.reply;
        // Mutual authentication: the AP-REP rides on the 200 (MS-WSMV 2.2.9.1), with the sealed answer if a body
        // came along with the AP-REQ.
        const challenge = r.token.length > 0 ? `${conn.scheme ?? scheme} ${r.token.toString("base64")}` : undefined;
        const reply: Reply =
          body.length === 0
            ? { status: 200, note: `Kerberos authenticated${r.spnego ? " (SPNEGO)" : ""} (empty body)` }
            : await this.authenticatedRequest(conn, req, body, encrypted, signal);
        if (challenge !== undefined && reply.status !== 401) reply.headers = { ...(reply.headers ?? {}), "WWW-Authenticate": challenge };
        reply.gssFlags = r.flags;
        return reply;
      } else if (lower === "negotiate" && (auth.negotiate || auth.kerberos)) {
        const step = this.stepNegotiate(conn, scheme, Buffer.from(tokenB64, "base64"));
        if (step) return step;
        // Context complete on this request: Flow A (empty body => 200 empty) or Flow B (sealed body rides along).
        if (body.length === 0) return { status: 200, note: "NTLM authenticated (empty body)" };
      } else if (scheme === MUTUAL_PROFILE_URI && auth.certificate && conn.tls) {
        this.resetAuth(conn);
        const mode = this.opts.certificateAuth?.clientCertNegotiation ?? "renegotiate";
        if (!(await requestClientCertificate(req.socket as TLSSocket, mode).then(() => true, () => false))) {
          req.socket.destroy(); // http.sys drops a connection whose renegotiation failed
          return { status: 401, note: "renegotiation for the client certificate failed" };
        }
        const verdict = acceptClientCertificate(req.socket as TLSSocket, this.opts.certificateAuth);
        if ("refused" in verdict) return this.unauthorized(verdict.refused);
        conn.user = verdict.user;
        conn.scheme = "Basic"; // per request, like Basic: the next request must name the profile again
        conn.state = "authenticated";
      } else if (lower === "credssp" && auth.credSSP) {
        const material = this.tlsMaterial ?? (await (this.credsspMaterial ??= credsspHttpCertificate(this.opts.host.computerName)));
        const leg = await stepCredSSPLeg(conn, tokenBytes, () => this.newCredSSPAcceptor(conn, material));
        if (!("user" in leg)) return { status: 401, headers: { "WWW-Authenticate": leg.challenge }, note: leg.failed ?? "CredSSP" };
        Object.assign(conn, { scheme: "CredSSP", state: "authenticated", user: leg.user, sealer: conn.credssp?.sealer() });
        if (body.length === 0) return { status: 200, note: "CredSSP authenticated (empty body)" };
      } else if (lower === "basic" && auth.basic) {
        this.resetAuth(conn);
        if (!conn.tls && !this.config.allowUnencrypted) {
          // Basic can never be sealed, so over HTTP it is refused while AllowUnencrypted is false (MS-WSMV 3.1.4.1.29.1).
          return this.unauthorized("Basic over HTTP refused (AllowUnencrypted=false)");
        }
        const user = this.checkBasic(tokenB64);
        if (user === undefined) return this.unauthorized("bad credentials (Basic)");
        conn.user = user;
        conn.scheme = "Basic";
        conn.state = "authenticated";
        // Basic authenticates each request on its own; keep the state for the log of this request only.
      } else {
        this.resetAuth(conn);
        // Windows closes the connection after refusing a scheme it does not offer.
        return this.unauthorized(`scheme ${scheme} not enabled`, undefined, true);
      }
    } else if (conn.state !== "authenticated" || conn.scheme === "Basic") {
      if (conn.scheme === "Basic") this.resetAuth(conn);
      const anonymous = conn.state === "anonymous";
      return this.unauthorized("no credentials", undefined, anonymous && this.opts.closeAfterAnonymous401 === true);
    }
    return this.authenticatedRequest(conn, req, body, encrypted, signal);
  }

  /** One Kerberos accept step on a new context (Kerberos takes one round trip: MS-WSMV 2.2.9.1). */
  private stepKerberos(
    conn: ConnState,
    scheme: "Negotiate" | "Kerberos",
    token: Buffer,
  ): { reply: Reply } | { token: Buffer; spnego: boolean; flags: number } {
    const keytab = this.opts.keytab;
    if (keytab === undefined) return { reply: this.unauthorized("Kerberos is not configured (no keytab)") };
    // Every AP-REQ starts a new context, also on an authenticated connection (re-authentication).
    this.resetAuth(conn);
    const acceptor = new KerberosAcceptor({
      keytab,
      scheme,
      ...this.bindingPolicy(conn),
    });
    let step;
    try {
      step = acceptor.step(token);
    } catch (e) {
      acceptor.dispose();
      const why = e instanceof AuthenticationError ? e.message : "malformed token";
      return { reply: this.unauthorized(`access denied: ${why}`) };
    }
    if (!step.complete) {
      // krb5 needs no second leg from the client; a context that wants one is not something WinRM clients do.
      acceptor.dispose();
      return { reply: this.unauthorized("Kerberos context did not complete in one round trip") };
    }
    conn.krb = acceptor;
    conn.scheme = scheme;
    conn.state = "authenticated";
    if (step.user !== undefined) conn.user = step.user;
    conn.sealer = acceptor.sealer();
    return { token: step.token, spnego: step.spnego, flags: step.flags };
  }

  /** One Negotiate step. Returns the reply when the handshake goes on or failed, undefined when it completed. */
  private stepNegotiate(conn: ConnState, scheme: string, token: Buffer): Reply | undefined {
    // A NEGOTIATE message (type 1) starts a new context, also on an authenticated connection (re-authentication).
    const isType1 = ntlmMessageType(token) === MessageType.NEGOTIATE;
    if (isType1 || !conn.acceptor || conn.state !== "handshake") {
      this.resetAuth(conn);
      if (!isType1) return this.unauthorized("Negotiate token is not an NTLM NEGOTIATE message");
      conn.acceptor = this.newAcceptor(conn);
      conn.scheme = scheme;
    }
    const acceptor = conn.acceptor;
    if (!acceptor) return this.unauthorized("no context");
    let result: ReturnType<NtlmAcceptor["step"]>;
    try {
      result = acceptor.step(token);
    } catch (e) {
      this.resetAuth(conn);
      const why = e instanceof AuthenticationError ? e.message : "malformed token";
      return this.unauthorized(`access denied: ${why}`);
    }
    if (!result.complete) {
      conn.state = "handshake";
      const challenge = result.token ? `${scheme} ${result.token.toString("base64")}` : scheme;
      return { status: 401, headers: { "WWW-Authenticate": challenge }, note: "NTLM CHALLENGE" };
    }
    conn.state = "authenticated";
    conn.user = result.user;
    conn.sealer = acceptor.sealer();
    return undefined;
  }

  private checkBasic(tokenB64: string): string | undefined {
    const decoded = Buffer.from(tokenB64, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    const given = splitUsername(decoded.slice(0, colon));
    const password = decoded.slice(colon + 1);
    for (const u of this.opts.users) {
      const known = splitUsername(u.username);
      const domainOk =
        given.domain === "" ||
        given.domain === "." ||
        given.domain.toLowerCase() === known.domain.toLowerCase() ||
        given.domain.toLowerCase() === this.opts.host.computerName.toLowerCase();
      if (domainOk && given.user.toLowerCase() === known.user.toLowerCase() && password === u.password) {
        return known.domain ? `${known.domain}\\${known.user}` : known.user;
      }
    }
    return undefined;
  }

  private async authenticatedRequest(
    conn: ConnState,
    req: http.IncomingMessage,
    body: Buffer,
    encrypted: boolean,
    signal: AbortSignal,
  ): Promise<Reply> {
    if (body.length === 0) return { status: 200, note: "empty body" };
    let xml: string;
    if (encrypted) {
      if (!conn.sealer) return { status: 400, note: "sealed body without a sealing context" };
      if (isRecordSealer(conn.sealer)) {
        // CredSSP: one or several 16 KiB TLS records (testing/credsspHttp.ts).
        const opened = await openCredSSPRequest(conn.sealer, req.headers["content-type"] ?? "", body);
        if ("refused" in opened) {
          this.resetAuth(conn);
          return { status: 400, note: opened.refused };
        }
        this.sealedRequests.add(req);
        return routeSoap(this.handlerContext, conn.user ?? "", opened.xml, signal);
      }
      try {
        const parts = decodeEncryptedBody(req.headers["content-type"] ?? "", body);
        if (conn.krb !== undefined && parts.protocol.toLowerCase() !== conn.sealer.protocol.toLowerCase()) {
          // The protocol string must match the scheme of the context (MS-WSMV 2.2.9.1; OpenWEC checks it too).
          return { status: 400, note: `protocol ${parts.protocol} does not match the ${conn.scheme ?? ""} context` };
        }
        const plain = conn.sealer.unwrap(parts.header, parts.data);
        if (plain.length !== parts.originalLength) {
          return { status: 400, note: `sealed length ${plain.length} != OriginalContent Length ${parts.originalLength}` };
        }
        xml = Buffer.from(plain).toString("utf8");
      } catch (e) {
        this.resetAuth(conn);
        return { status: 400, note: `cannot unseal: ${e instanceof Error ? e.message : String(e)}` };
      }
      this.sealedRequests.add(req);
    } else {
      if (!conn.tls && !this.config.allowUnencrypted) {
        // MS-WSMV 3.1.4.1.29.1: MUST NOT accept an unencrypted message over HTTP. Windows answers a bodiless 401
        // (hashicorp/packer #6205) and the context is gone: the client has to start over.
        this.resetAuth(conn);
        return this.unauthorized("unencrypted body refused (AllowUnencrypted=false)", actionOf(body));
      }
      xml = body.toString("utf8");
    }
    return routeSoap(this.handlerContext, conn.user ?? "", xml, signal);
  }

}

/** The body is a WS-Man Identify request (MS-WSMV 3.1.4.16); never throws. */
function isIdentifyBody(xml: string): boolean {
  try {
    return child(parseEnvelope(xml).body, NS.wsmid, "Identify") !== undefined;
  } catch {
    return false;
  }
}

/** a:Action of a plain body, for the log only; never throws. */
function actionOf(body: Buffer): string | undefined {
  try {
    return parseEnvelope(body.toString("utf8")).action;
  } catch {
    return undefined;
  }
}

/** An NTLMSSP message (MS-NLMP 2.2: signature "NTLMSSP\0"), as opposed to a GSS (Kerberos / SPNEGO) token. */
function isNtlmToken(token: Buffer): boolean {
  return token.subarray(0, NTLMSSP_SIGNATURE.length).equals(NTLMSSP_SIGNATURE);
}

