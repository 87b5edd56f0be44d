/**
 * The authenticated WinRM session: one HTTP channel, one security context bound to its socket, and (on http://) every
 * SOAP message sealed in multipart/encrypted (MS-WSMV 2.2.9.1).
 *
 * Handshake: Flow A of MS-WSMV 2.2.9.1 — every leg is an EMPTY POST (Content-Length: 0), so no SOAP byte leaves before
 * the context can seal it (pywinrm setup_encryption, WinRb init_auth, pypsrp _prepare_wsman_request). We skip the
 * anonymous probe and send the first token pre-emptively (as WinRb does): NEGOTIATE -> 401 CHALLENGE ->
 * AUTHENTICATE -> 200. Then messages go without Authorization; sequence numbers start at 0 on both sides.
 *
 * A new socket means a new context (the server keeps one per TCP connection): on a 401 to an authenticated message we
 * re-authenticate once and resend; a second 401 is an AuthenticationError. We never loop on 401.
 *
 * Through a forward proxy (http.ts route "forward") the socket goes to the proxy, and the context lives on whatever
 * upstream connection the proxy picks. Connection-based auth works only when the proxy pins one upstream connection
 * to ours (RFC 4559 6). We check, and stop with ProxyAffinityError instead of looping, when the proxy:
 * - does not send `Proxy-Support: Session-Based-Authentication` on the 401 (RFC 4559 section 6: a client MUST NOT
 *   use connection-based authentication through a proxy that did not; squid sends it on pinned connections);
 * - strips the Negotiate challenge from the 401 (squid `connection-auth=off` removes connection-based schemes);
 * - closes our connection between the legs, or after the 200 (the context dies with the upstream connection: squid
 *   `client_persistent_connections off`, tinyproxy), seen as `Connection: close` or a new socket;
 * - answers the first sealed message after the 200 with a 401 (it went to another upstream connection).
 * The fix is always the same: an https:// endpoint, or a CONNECT tunnel.
 *
 * Sizes: every response body is capped at responseBodyLimit(maxEnvelopeSize) (http.ts enforces it), and a sealed
 * message may not declare (OriginalContent Length) or decrypt to more than maxEnvelopeSize octets.
 */
import type { AuthMechanism } from "../auth/mechanism.js";
import { openBody, sealBody, sealerOf, type Sealer } from "../auth/sealedBody.js";
import type { Connection } from "../connection.js";
import {
  AuthenticationError,
  ConnectionError,
  ConnectionLostError,
  HttpError,
  ProtocolError,
  ProxyAffinityError,
} from "../errors.js";
import { isEncryptedContentType } from "../wire/multipart.js";
import { credentialsHeader, findChallenge, offeredSchemes, parseChallenges, TARGET_AUTH_HEADERS } from "./challenges.js";
import { AuthDriver, targetSide } from "./authDriver.js";
import { HttpChannel, type HttpResponse } from "./http.js";
import { emit, type PathObserver } from "./pathEvents.js";
import type { TransportPlan } from "./policy.js";
import { certificateRefused } from "../auth/certificate.js";
import { tlsConnectOptions } from "./tls.js";
import { DEFAULT_MAX_ENVELOPE_SIZE } from "../wsman/envelope.js";

export { parseChallenges } from "./challenges.js";

export const SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8";
const EMPTY = new Uint8Array(0);
/** NTLM needs 2 legs, Kerberos 1, CredSSP about 5; more than this is a broken peer, not a handshake. */
const MAX_LEGS = 8;
/**
 * What multipart/encrypted framing adds around one sealed envelope (MS-WSMV 2.2.9.1): two boundary lines, the part
 * headers (Content-Type with the protocol, OriginalContent with type and length), the 4-byte signature length and the
 * signature or wrap header (16 bytes NTLM, 60 bytes Kerberos IOV), and the closing boundary: about 300 bytes. CredSSP
 * cuts a message into 16 KiB parts (multipart/x-multi-encrypted), each with that framing and a TLS record's overhead
 * (5-byte header, explicit nonce or IV, tag or MAC and padding): about 250 bytes per part, 8 KiB for a 512000-byte
 * envelope. 16 KiB is generous and still a hard bound.
 */
const FRAMING_ALLOWANCE = 16 * 1024;

/** The largest response body a session accepts: the envelope the client allows, plus the encryption framing. */
export function responseBodyLimit(maxEnvelopeSize: number): number {
  return maxEnvelopeSize + FRAMING_ALLOWANCE;
}

export interface SessionStats {
  /** HTTP requests written, handshake legs included. */
  readonly requests: number;
  /** Authentication handshakes started. */
  readonly handshakes: number;
  /** TCP connections opened. */
  readonly connections: number;
  /** Failed dials that were tried again (timeouts.connectAttempts). */
  readonly dialRetries: number;
}

export interface SoapResponse {
  readonly status: number;
  /** The body as text (for a UTF-8 body, decoded from utf8 on first use). */
  readonly xml: string;
  /** The answer came sealed with the session's context (false in clear, and always on https:// without sealing). */
  readonly sealed: boolean;
  /**
   * The body's bytes, byte order mark removed, when it is UTF-8: the receive scanner reads these, so a plain
   * ReceiveResponse is never turned into a string.
   */
  readonly utf8?: Buffer;
}

/** A UTF-8 response whose text is made only when something asks for it. */
class Utf8SoapResponse implements SoapResponse {
  private text: string | undefined;
  constructor(
    readonly status: number,
    readonly utf8: Buffer,
    readonly sealed: boolean,
  ) {}
  get xml(): string {
    return (this.text ??= this.utf8.toString("utf8"));
  }
}

interface Context {
  readonly mechanism: AuthMechanism;
  readonly connectionId: number;
  readonly sealer: Sealer | undefined;
}

export interface PostOptions {
  /** The message may be resent once on a new connection if the kept-alive one died under it. */
  readonly idempotent?: boolean;
}

export interface SessionOptions {
  readonly connection: Connection;
  readonly plan: TransportPlan;
  /** A prototype context; each socket gets `fresh()`. */
  readonly mechanism: AuthMechanism;
  /** Injectable for tests; default: an HttpChannel for the endpoint (through plan.proxy when there is one). */
  readonly channel?: HttpChannel;
  readonly observer?: PathObserver | undefined;
  /** The w:MaxEnvelopeSize the client's requests declare; bounds every response. Default DEFAULT_MAX_ENVELOPE_SIZE. */
  readonly maxEnvelopeSize?: number | undefined;
  /** The largest MaxEnvelopeSize the client may declare later (setMaxEnvelopeSize); caps the HTTP body. */
  readonly maxEnvelopeSizeCeiling?: number | undefined;
}

export class WinRMSession {
  private readonly channel: HttpChannel;
  private readonly plan: TransportPlan;
  /** The endpoint is https:// (TLS with the host itself). */
  private readonly tls: boolean;
  private readonly prototype: AuthMechanism;
  private ctx: Context | undefined;
  /** Basic is stateless: the header goes on every request and needs no handshake round trip. */
  private basicHeader: string | undefined;
  private handshakes = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly observer: PathObserver | undefined;
  /** Forward route: the context whose first sealed message has not been answered yet (the affinity check). */
  private unproven: Context | undefined;
  private encryptionAnnounced = false;
  private maxEnvelopeSize: number;
  private readonly maxEnvelopeSizeCeiling: number;

  constructor(opts: SessionOptions) {
    const endpoint = new URL(opts.connection.endpoint);
    this.plan = opts.plan;
    this.tls = endpoint.protocol === "https:";
    this.prototype = opts.mechanism;
    this.observer = opts.observer;
    this.maxEnvelopeSize = opts.maxEnvelopeSize ?? DEFAULT_MAX_ENVELOPE_SIZE;
    this.maxEnvelopeSizeCeiling = Math.max(this.maxEnvelopeSize, opts.maxEnvelopeSizeCeiling ?? 0);
    this.channel =
      opts.channel ??
      new HttpChannel({
        endpoint,
        tls: this.tls ? tlsConnectOptions(opts.connection) : undefined,
        connectMs: opts.connection.timeouts.connectMs,
        connectAttempts: opts.connection.timeouts.connectAttempts,
        readMs: opts.connection.timeouts.readMs,
        maxBodyBytes: responseBodyLimit(this.maxEnvelopeSizeCeiling),
        proxy: opts.plan.proxy,
        bypassed: opts.plan.bypassed,
        observer: opts.observer,
      });
    this.channel.onDisconnect((id) => {
      if (this.ctx?.connectionId === id) this.dropContext();
    });
  }

  /** The MaxEnvelopeSize requests now declare (learned from the host); bounds each message, up to the ceiling. */
  setMaxEnvelopeSize(n: number): void {
    this.maxEnvelopeSize = Math.min(n, this.maxEnvelopeSizeCeiling);
  }

  get stats(): SessionStats {
    return {
      requests: this.channel.requests,
      handshakes: this.handshakes,
      connections: this.channel.connections,
      dialRetries: this.channel.dialRetries,
    };
  }

  /** Whether messages are sealed (the transport plan). */
  get encrypted(): boolean {
    return this.plan.encrypt;
  }

  /**
   * Send one SOAP message and return the answer: 200, or 500 with a body (a WS-Man fault for the caller to decode).
   * Requests are serialised: sealing sequence numbers must follow wire order.
   */
  post(xml: string, signal?: AbortSignal, opts: PostOptions = {}): Promise<SoapResponse> {
    const run = this.queue.then(
      () => this.postLocked(xml, signal, opts),
      () => this.postLocked(xml, signal, opts),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    // No new dial attempts; a message in flight is bounded by its deadline (timeouts.readMs) and still needs its
    // context to unseal the answer, so close after the queue.
    this.channel.stopDialing();
    await this.queue;
    this.dropContext();
    await this.channel.close();
  }

  private async postLocked(xml: string, signal: AbortSignal | undefined, opts: PostOptions): Promise<SoapResponse> {
    const plain = Buffer.from(xml, "utf8");
    if (this.prototype.name === "basic" || this.prototype.name === "certificate") return this.postBasic(plain, signal);
    for (let attempt = 0; ; attempt++) {
      // Let a pending close of an idle keep-alive socket (server idle timeout, reset) reach the channel first, so we
      // re-authenticate on a new socket instead of writing into a dead one.
      if (this.ctx !== undefined) await new Promise<void>((resolve) => setImmediate(resolve));
      // A context is only good on the socket it was built on (MS-WSMV 2.2.9.1).
      const live = this.ctx !== undefined && this.ctx.connectionId === this.channel.connectionId ? this.ctx : undefined;
      if (live === undefined && this.unproven !== undefined) {
        // The 200 of the handshake came back, and the connection it authenticated is gone before any message.
        this.unproven = undefined;
        throw this.affinityBroken(
          "it closed the connection right after the handshake's final 200, so the authenticated upstream connection " +
            "was lost before the first message",
        );
      }
      const ctx = live ?? (await this.handshake(signal));
      let res: HttpResponse;
      try {
        res = await this.send(ctx, plain, signal);
      } catch (err) {
        // A kept-alive socket can die just as we write to it. Resending is only safe for messages whose repetition
        // changes nothing (Identify, Get, Signal, Delete); a Command or Send could run twice, so those fail instead.
        // A failed dial ("connect") already had its retries (timeouts.connectAttempts): not again here.
        if (
          attempt === 0 &&
          live !== undefined &&
          opts.idempotent === true &&
          err instanceof ConnectionError &&
          err.phase === "exchange"
        ) {
          continue;
        }
        throw err;
      }
      if (res.status === 401) {
        // The server no longer knows our context: the socket changed under us, or it dropped the context.
        this.dropContext();
        if (this.unproven === ctx) {
          this.unproven = undefined;
          throw this.affinityBroken(
            "the first message after a successful handshake got HTTP 401: the proxy sent it on another upstream " +
              "connection than the handshake",
          );
        }
        if (attempt === 0) continue;
        throw new AuthenticationError(
          ctx.mechanism.name,
          "request",
          "the server refused an authenticated request (HTTP 401) right after a fresh handshake",
          { httpStatus: 401 },
        );
      }
      if (this.unproven === ctx) {
        this.unproven = undefined;
        emit(this.observer, {
          type: "affinity",
          verdict: "ok",
          detail: "the forward proxy kept one upstream connection through the handshake and the first sealed message",
        });
      }
      return this.finish(res, ctx);
    }
  }

  private affinityBroken(observed: string): ProxyAffinityError {
    emit(this.observer, { type: "affinity", verdict: "broken", detail: observed });
    return new ProxyAffinityError(observed);
  }

  /** After a handshake: what protects the messages, and (once) why affinity is not in question off the forward route. */
  private announceContext(ctx: Context, legs: number): void {
    const negotiated = ctx.mechanism.negotiated;
    emit(this.observer, {
      type: "target-auth",
      mechanism: ctx.mechanism.name,
      scheme: ctx.mechanism.scheme,
      legs,
      ok: true,
      ...(negotiated !== undefined ? { negotiated } : {}),
    });
    if (this.encryptionAnnounced) return;
    this.encryptionAnnounced = true;
    emit(this.observer, {
      type: "encryption",
      sealed: ctx.sealer !== undefined,
      ...(ctx.sealer !== undefined ? { protocol: ctx.sealer.protocol } : {}),
      tls: this.tls,
    });
    if (this.channel.route !== "forward") {
      emit(this.observer, {
        type: "affinity",
        verdict: "by-construction",
        detail:
          this.channel.route === "tunnel"
            ? "a CONNECT tunnel is one end-to-end connection"
            : "a direct connection is one end-to-end connection",
      });
    }
  }

  private async postBasic(plain: Buffer, signal: AbortSignal | undefined): Promise<SoapResponse> {
    if (this.basicHeader === undefined) {
      const mech = this.prototype.fresh();
      const token = await mech.step({ token: undefined, channelBindings: undefined });
      if (token === undefined) throw new AuthenticationError(mech.name, mech.stage, "the mechanism produced no credentials");
      // certificate (auth/certificate.ts): the header is the https/mutual profile URI alone; TLS carried the proof.
      this.basicHeader = mech.name === "certificate" ? mech.scheme : credentialsHeader(mech.scheme, token);
    }
    const res = await this.channel.request({
      headers: { authorization: this.basicHeader, "content-type": SOAP_CONTENT_TYPE },
      body: plain,
      signal,
    });
    if (res.status === 401) {
      emit(this.observer, { type: "target-auth", mechanism: this.prototype.name, scheme: this.prototype.name === "basic" ? "Basic" : "Certificate", legs: 1, ok: false });
      if (this.prototype.name === "certificate") throw certificateRefused(this.channel.clientCertificateRequested(), offered(res));
      throw new AuthenticationError(this.prototype.name, "request", `the server refused the credentials${offered(res)}`, {
        httpStatus: 401,
      });
    }
    if (!this.encryptionAnnounced) {
      this.encryptionAnnounced = true;
      emit(this.observer, { type: "target-auth", mechanism: this.prototype.name, scheme: this.prototype.name === "basic" ? "Basic" : "Certificate", legs: 1, ok: true });
      emit(this.observer, { type: "encryption", sealed: false, tls: this.tls });
      emit(this.observer, {
        type: "affinity",
        verdict: "by-construction",
        detail: "Basic authenticates every request on its own; no connection-bound context",
      });
    }
    return this.finish(res, undefined);
  }

  /** Write one message on the context's socket: sealed when the plan says so, else plain. */
  private async send(ctx: Context, plain: Buffer, signal: AbortSignal | undefined): Promise<HttpResponse> {
    let headers: Record<string, string>;
    let body: Uint8Array;
    if (ctx.sealer !== undefined) {
      const enc = await sealBody(ctx.sealer, plain);
      headers = { "content-type": enc.contentType };
      body = enc.body;
    } else {
      headers = { "content-type": SOAP_CONTENT_TYPE };
      body = plain;
    }
    try {
      return await this.channel.request({ headers, body, signal });
    } catch (err) {
      // The message may or may not have reached the server: its sequence number is now unknown. Start over.
      await this.discard();
      throw err;
    }
  }

  private async finish(res: HttpResponse, ctx: Context | undefined): Promise<SoapResponse> {
    let body: string | Buffer;
    try {
      body = await this.decodeBody(res, ctx);
    } catch (err) {
      await this.discard();
      throw err;
    }
    const sealed = ctx?.sealer !== undefined && isEncryptedContentType(headerValue(res, "content-type") ?? "");
    // A non-empty UTF-8 body always decodes to non-empty text.
    if (res.status === 200 || (res.status === 500 && body.length > 0)) {
      return typeof body === "string" ? { status: res.status, xml: body, sealed } : new Utf8SoapResponse(res.status, body, sealed);
    }
    throw new HttpError(res.status, httpReason(res.status));
  }

  /** The body as text (UTF-16) or as its UTF-8 bytes without a byte order mark (decodeText). */
  private async decodeBody(res: HttpResponse, ctx: Context | undefined): Promise<string | Buffer> {
    const ct = headerValue(res, "content-type") ?? "";
    if (isEncryptedContentType(ct)) {
      if (ctx?.sealer === undefined) {
        throw new ProtocolError("the server sent an encrypted message on a session that does not seal messages");
      }
      const { plain, originalType } = await openBody(ctx.sealer, ct, res.body, {
        maxPlaintext: this.maxEnvelopeSize,
        sender: "the server",
      });
      return decodeText(plain, originalType);
    }
    if (ctx?.sealer !== undefined && res.status >= 200 && res.status < 300 && res.body.length > 0) {
      // An unsealed success on an encrypted session has no integrity: refuse it rather than act on it.
      throw new ProtocolError("the server answered in clear on an encrypted session; refusing to trust the answer");
    }
    return decodeText(res.body, ct);
  }

  /** Flow A (MS-WSMV 2.2.9.1): the handshake on empty bodies, all legs on one socket. */
  private async handshake(signal: AbortSignal | undefined): Promise<Context> {
    this.dropContext();
    this.handshakes++;
    let mech = this.prototype.fresh();
    try {
      return await this.handshakeLegs(mech, signal, (m) => (mech = m));
    } catch (err) {
      // A context that did not make it holds nothing worth keeping (Kerberos: release the GSS context now).
      mech.dispose?.();
      if (err instanceof ConnectionLostError && err.step === undefined) {
        throw new ConnectionLostError(
          `during the ${mech.name} authentication handshake, ${err.message}; its requests are empty, so no WinRM ` +
            "message had been sent yet",
          { cause: err, step: "authentication" },
        );
      }
      throw err;
    }
  }

  private async handshakeLegs(
    first: AuthMechanism,
    signal: AbortSignal | undefined,
    track: (m: AuthMechanism) => void,
  ): Promise<Context> {
    let mech = first;
    let probeLegs = 0;
    /** The mechanism moved to another scheme the host offers (withOfferedScheme): at most once per handshake. */
    let adapted = false;
    const adapt = (offered: readonly string[]): boolean => {
      if (adapted) return false;
      const alt = mech.withOfferedScheme?.(offered);
      if (alt === undefined) return false;
      adapted = true;
      mech.dispose?.();
      mech = alt;
      track(mech);
      return true;
    };
    if (mech.bindsChannelInFirstToken === true && this.channel.knownChannelBindings() === undefined) {
      const opened = await this.openForBindings(signal);
      probeLegs = opened.legs;
      // The anonymous 401 already lists the host's schemes: pick the one it offers before the first token.
      adapt(opened.offered);
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0) {
        mech.dispose?.();
        mech = this.prototype.fresh();
        track(mech);
      }
      let leg = 0;
      let last: HttpResponse | undefined;
      const driver = new AuthDriver(mech, {
        side: targetSide(),
        maxLegs: MAX_LEGS,
        channelBindings: () => this.channel.knownChannelBindings(),
        rejection: (m, offersOurScheme) => ({
          stage: legStage(m, leg),
          // A 401 to our last token, or one without a token for our scheme: the server rejected us. No retry: the
          // same credentials give the same answer, and retries lock accounts out (the driver's rule).
          message: !offersOurScheme
            ? `the server does not offer ${m.scheme}${last !== undefined ? offered(last) : ""}`
            : "the server rejected the credentials (wrong user name, password or domain, or the account may not use WinRM" +
              (this.channel.channelBindings() !== undefined
                ? "; over HTTPS also a channel-binding mismatch, e.g. a TLS-intercepting proxy)"
                : this.channel.route === "forward"
                  ? "; through a forward proxy also a proxy that sent the last leg on another upstream connection)"
                  : ")"),
        }),
      });
      let header = await driver.start();
      let connectionId: number | undefined;
      for (; ; leg++) {
        const res = await this.channel.request({
          headers: { authorization: header, "content-type": SOAP_CONTENT_TYPE },
          body: EMPTY,
          signal,
        });
        last = res;
        const forward = this.channel.route === "forward";
        if (connectionId !== undefined && res.connectionId !== connectionId) {
          if (forward) {
            throw this.affinityBroken(
              "it closed our connection between the authentication legs, so the leg after the challenge reached " +
                "another upstream connection",
            );
          }
          break;
        }
        connectionId = res.connectionId;
        const challenges = res.headers[TARGET_AUTH_HEADERS.challenge];
        const challenge = findChallenge(challenges, mech.scheme);
        if (res.status === 401 && challenge === undefined && leg === 0 && !mech.complete) {
          // Our first token's scheme is not offered, but another one the mechanism speaks is (forced Kerberos to a
          // host listing only Negotiate): start over once on this connection under that scheme. `adapted` and
          // withOfferedScheme's one-way move make a loop impossible.
          if (adapt(offeredSchemes(challenges))) {
            driver.replace(mech);
            header = await driver.start();
            // The restart is a handshake of its own, from its first leg: http.sys closes the connection after a 401
            // for a scheme it does not offer ("Connection: close"), so it may well begin on a new one.
            connectionId = undefined;
            continue;
          }
        }
        if (forward) this.checkForwardLeg(res, mech, challenge?.token !== undefined);
        if (res.status === 401 || (res.status >= 200 && res.status < 300)) {
          const action = await driver.onResponse(res.status, challenges);
          if (action.kind === "send") {
            header = action.header;
            continue;
          }
          const sealer = this.plan.encrypt ? sealerOf(mech) : undefined;
          this.ctx = { mechanism: mech, connectionId, sealer };
          this.unproven = this.channel.route === "forward" ? this.ctx : undefined;
          this.announceContext(this.ctx, probeLegs + leg + 1);
          return this.ctx;
        }
        throw new AuthenticationError(
          mech.name,
          mech.stage,
          `unexpected HTTP ${res.status} during the handshake`,
          { httpStatus: res.status, cause: new HttpError(res.status, httpReason(res.status)) },
        );
      }
      // The server closed the socket between legs; the half-built context is worthless. Try once more.
    }
    throw new AuthenticationError(
      mech.name,
      mech.stage,
      "the connection changed in the middle of the handshake twice; connection-based authentication needs one " +
        "connection for all legs (a proxy or load balancer in the path may not keep it)",
    );
  }

  /**
   * Forward route, one handshake response: the proxy must keep our connection (no `Connection: close`), pass the
   * Negotiate challenge, and on the 401 declare `Proxy-Support: Session-Based-Authentication` (RFC 4559 section 6),
   * else the AUTHENTICATE is never sent.
   */
  private checkForwardLeg(res: HttpResponse, mech: AuthMechanism, hasToken: boolean): void {
    const closing = /(^|,)\s*close\s*(,|$)/i.test(
      [headerValue(res, "connection"), headerValue(res, "proxy-connection")].filter((v) => v !== undefined).join(","),
    );
    if (res.status === 401 && !mech.complete) {
      if (!hasToken) {
        const offers = offered(res);
        throw this.affinityBroken(
          `the 401 it passed back carries no ${mech.scheme} challenge${offers === "" ? "" : offers}: the proxy strips ` +
            "connection-based schemes (squid connection-auth=off does), or the host does not offer Negotiate",
        );
      }
      if (!/session-based-authentication/i.test(headerValue(res, "proxy-support") ?? "")) {
        throw this.affinityBroken(
          "it did not send `Proxy-Support: Session-Based-Authentication` on the 401, so it does not promise to keep " +
            "one upstream connection for the handshake (RFC 4559 section 6: the client MUST NOT use connection-based " +
            "authentication through it)",
        );
      }
      if (closing) {
        throw this.affinityBroken("it closed our connection after the 401 challenge, in the middle of the handshake");
      }
    }
    if (res.status >= 200 && res.status < 300 && closing) {
      throw this.affinityBroken(
        "it closed the connection with the handshake's final 200, so the authenticated upstream connection is lost " +
          "before the first message",
      );
    }
  }

  /**
   * Over https://, a Kerberos AP-REQ carries the channel bindings (RFC 4121 4.1.1.2 Bnd), and it is made before the
   * first request: open the connection first with Flow A's anonymous empty POST (MS-WSMV 2.2.9.1, as pywinrm's
   * requests-kerberos does), which the server answers 401 with its schemes. Returns the requests it took (1, 0 over
   * http://) and the schemes the 401 offered.
   */
  private async openForBindings(signal: AbortSignal | undefined): Promise<{ legs: number; offered: string[] }> {
    if (!this.tls) return { legs: 0, offered: [] };
    const res = await this.channel.request({ headers: { "content-type": SOAP_CONTENT_TYPE }, body: EMPTY, signal });
    if (res.status !== 401) {
      throw new AuthenticationError(
        this.prototype.name,
        "start",
        `the server answered an anonymous request with HTTP ${res.status} instead of 401 and its authentication schemes`,
        { httpStatus: res.status },
      );
    }
    return { legs: 1, offered: offeredSchemes(res.headers[TARGET_AUTH_HEADERS.challenge]) };
  }

  private async discard(): Promise<void> {
    this.dropContext();
    await this.channel.reset();
  }

  /** Forget the connection's context and release what it holds (a context belongs to its connection). */
  private dropContext(): void {
    const ctx = this.ctx;
    this.ctx = undefined;
    ctx?.mechanism.dispose?.();
  }
}

/** Which message the server answered, for error text: NTLM's legs are NEGOTIATE then AUTHENTICATE (MS-NLMP 1.3.1.1). */
function legStage(mech: AuthMechanism, leg: number): string {
  if (mech.name === "ntlm") return leg === 0 ? "NEGOTIATE" : "AUTHENTICATE";
  return mech.stage;
}

function headerValue(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(", ") : v;
}

function offered(res: HttpResponse): string {
  const schemes = parseChallenges(res.headers[TARGET_AUTH_HEADERS.challenge]).map((c) => c.scheme);
  return schemes.length > 0 ? ` (it offers: ${[...new Set(schemes)].join(", ")})` : "";
}

/**
 * Bodies are UTF-8 unless the content type says UTF-16 (event forwarding does, provider/src/testing/server.ts).
 * UTF-16 is decoded here; UTF-8 comes back as its bytes (byte order mark removed), decoded when its text is needed.
 */
function decodeText(body: Buffer, contentType: string): string | Buffer {
  if (/charset\s*=\s*"?utf-16/i.test(contentType)) {
    if (body[0] === 0xfe && body[1] === 0xff) return Buffer.from(body.subarray(2)).swap16().toString("utf16le");
    const start = body[0] === 0xff && body[1] === 0xfe ? 2 : 0;
    return body.subarray(start).toString("utf16le");
  }
  const start = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  return body.subarray(start);
}

function httpReason(status: number): string {
  switch (status) {
    case 400:
      return "the WinRM service rejected the request as malformed";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden: the account is not allowed to use WinRM on this host";
    case 404:
      return "no WinRM listener at this path; check the endpoint path (default /wsman)";
    case 405:
      return "method not allowed";
    case 413:
      return "the request is larger than the host accepts (MaxEnvelopeSizekb)";
    case 500:
      return "the WinRM service failed without a fault body";
    case 503:
      return "the WinRM service is unavailable";
    default:
      return "unexpected status from the WinRM service";
  }
}
