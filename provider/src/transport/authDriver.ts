/**
 * The one challenge/response driver of HTTP authentication, for the host's 401 (WWW-Authenticate / Authorization) and
 * the proxy's 407 (Proxy-Authenticate / Proxy-Authorization) alike: RFC 9110 11.6-11.7 give both the same syntax and
 * the same rules, so only the header pair, the status and the error family differ (pypsrp and pyspnego split the same
 * way: the mechanism makes tokens, one loop decides, the transport does the I/O).
 *
 * IO-less: `start()` gives the first credentials header, `onResponse()` takes the status and the challenge header of
 * the answer and says what to do next: send another credentials header, or done. It throws the side's error when the
 * peer rejects us, and owns the rules both loops share:
 * - at most `maxLegs` credentials headers: a peer that keeps challenging is broken, never a loop;
 * - a 401/407 to our final token (the mechanism is complete), or one without a token for our scheme, is a rejection:
 *   the same credentials give the same answer and retries lock accounts out;
 * - a mechanism that has nothing to send but is not complete is an error;
 * - the mechanism's own failures are wrapped in the side's error, without any token.
 * The transport keeps what is its own: which connection the legs ride on, reconnects, proxy affinity, path events.
 */
import type { AuthMechanism, ChannelBindings } from "../auth/mechanism.js";
import { AuthenticationError, ProxyAuthenticationError, WinRMError } from "../errors.js";
import { credentialsHeader, findChallenge, type AuthHeaders, PROXY_AUTH_HEADERS, TARGET_AUTH_HEADERS } from "./challenges.js";

/** Which exchange the driver runs: the header pair, the status, and how its errors are made. */
export interface AuthSide {
  readonly headers: AuthHeaders;
  /** Who answers, for error text ("the server", "the proxy proxy.example:3128"). */
  readonly peer: string;
  fail(mechanism: string, stage: string, message: string, options?: { cause?: unknown; httpStatus?: number }): WinRMError;
  /** The error for a mechanism's failure to step: its own errors pass when they already are this side's. */
  stepFailure(mech: AuthMechanism, err: unknown): WinRMError;
}

export function targetSide(): AuthSide {
  return {
    headers: TARGET_AUTH_HEADERS,
    peer: "the server",
    fail: (mechanism, stage, message, options) => new AuthenticationError(mechanism, stage, message, options),
    stepFailure: (mech, err) =>
      err instanceof WinRMError
        ? err
        : new AuthenticationError(mech.name, mech.stage, "could not process the server's token", { cause: err }),
  };
}

export function proxySide(label: string): AuthSide {
  return {
    headers: PROXY_AUTH_HEADERS,
    peer: `the proxy ${label}`,
    fail: (mechanism, stage, message, options) =>
      new ProxyAuthenticationError(mechanism, stage, message, options?.cause !== undefined ? { cause: options.cause } : undefined),
    // The mechanism's own errors name the target; restate for the proxy, without any token.
    stepFailure: (mech, err) =>
      err instanceof ProxyAuthenticationError
        ? err
        : new ProxyAuthenticationError(
            mech.name,
            mech.stage,
            `could not process the proxy's challenge: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err },
          ),
  };
}

/** What the transport does after one response. */
export type DriverAction =
  | { readonly kind: "send"; readonly header: string }
  /** The peer accepted (2xx); the context is complete. */
  | { readonly kind: "done" };

export interface DriverOptions {
  readonly side: AuthSide;
  readonly maxLegs: number;
  /** The TLS channel bindings known at each step (the host's; undefined for the proxy and on http://). */
  readonly channelBindings?: () => ChannelBindings | undefined;
  /**
   * Why a rejection happened, for the 401/407 error text; given the challenge (undefined: our scheme not offered).
   * Default: "<peer> rejected the credentials".
   */
  readonly rejection?: (mech: AuthMechanism, offeredOurScheme: boolean) => { stage: string; message: string };
  /** A 2xx before the mechanism completed is an error (the host's mutual authentication); default true. */
  readonly requireComplete?: boolean;
}

export class AuthDriver {
  /** Credentials headers produced so far. */
  private sent = 0;

  constructor(
    private mech: AuthMechanism,
    private readonly opts: DriverOptions,
  ) {}

  get mechanism(): AuthMechanism {
    return this.mech;
  }

  get legs(): number {
    return this.sent;
  }

  /** Restart on another mechanism (the scheme move of withOfferedScheme); the leg count goes on. */
  replace(mech: AuthMechanism): void {
    this.mech = mech;
  }

  /** The first credentials header (no challenge yet: the pre-emptive first token). */
  async start(): Promise<string> {
    return this.header(await this.step(undefined));
  }

  /** The answer to our last header: its status and its challenge header values. */
  async onResponse(status: number, challenges: string | string[] | undefined): Promise<DriverAction> {
    const mech = this.mech;
    const challenge = findChallenge(challenges, mech.scheme);
    if (status === this.opts.side.headers.status) {
      if (mech.complete || challenge?.token === undefined) {
        const r = this.opts.rejection?.(mech, challenge !== undefined) ?? {
          stage: mech.complete ? (mech.name === "basic" ? "credentials" : "AUTHENTICATE") : mech.stage,
          message: `${this.opts.side.peer} rejected the credentials (HTTP ${status} to our ${mech.complete ? "final " : ""}${mech.scheme} token)`,
        };
        throw this.opts.side.fail(mech.name, r.stage, r.message, { httpStatus: status });
      }
      return { kind: "send", header: this.header(await this.step(challenge.token)) };
    }
    if (status >= 200 && status < 300) {
      // Mutual authentication (Kerberos AP-REP) rides on the 2xx.
      if (!mech.complete && challenge?.token !== undefined) await this.step(challenge.token);
      if (!mech.complete && this.opts.requireComplete !== false) {
        throw this.opts.side.fail(mech.name, mech.stage, `${this.opts.side.peer} accepted before the handshake completed`);
      }
      return { kind: "done" };
    }
    throw new Error(`AuthDriver.onResponse: status ${status} is the transport's to handle`);
  }

  /** One step of the mechanism, its failures restated for this side (never with a token). */
  async step(token: Uint8Array | undefined): Promise<Uint8Array | undefined> {
    const mech = this.mech;
    try {
      return await mech.step({ token, channelBindings: this.opts.channelBindings?.() });
    } catch (err) {
      throw this.opts.side.stepFailure(mech, err);
    }
  }

  /** The credentials header for a token, counted against the leg limit. */
  header(token: Uint8Array | undefined): string {
    const mech = this.mech;
    if (token === undefined) {
      throw this.opts.side.fail(mech.name, mech.stage, "the mechanism has no token to send but is not complete");
    }
    if (this.sent >= this.opts.maxLegs) {
      throw this.opts.side.fail(mech.name, mech.stage, `no result after ${this.opts.maxLegs} legs; giving up rather than loop`);
    }
    this.sent++;
    return credentialsHeader(mech.scheme, token);
  }
}
