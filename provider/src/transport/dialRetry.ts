/**
 * Opening one connection, with retries for a host that is still starting (timeouts.connectAttempts, as
 * @pulumi/command's dialErrorLimit), and naming why a dial failed.
 *
 * What a dial is: everything before the first request is written on the socket: TCP connect, TLS handshake with the
 * host, and on the tunnel route the socket to the proxy, its TLS and the CONNECT exchange (proxyTunnel.ts). No
 * WinRM byte has left when a dial fails, so trying again cannot run anything twice. Retried: refused, reset, timed
 * out (connectMs per attempt), host unreachable (what a booting VM gives before its network is up), and a proxy that
 * answers CONNECT with 502/503/504 (it could not reach the target: the same failure one hop further). Never retried:
 * certificate failures, proxy authentication, a proxy that refuses the tunnel by policy, a name that does not
 * resolve: the next attempt would fail the same way.
 *
 * Backoff between attempts: 0.5 s, 1 s, 2 s, 4 s, then 5 s each (bounded: 10 attempts wait at most 32.5 s in all).
 */
import {
  ConnectionError,
  LimitExceededError,
  ProxyAuthenticationError,
  ProxyError,
  TimeoutError,
  WinRMError,
} from "../errors.js";
import { ConnectRefusedError, ProxyClosedError } from "./proxyTunnel.js";
import { describeTlsError } from "./tls.js";

const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 5_000;

/** Socket error codes of a dial that may succeed later. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  // The connect timeout's code in undici, which older callers and tests still name.
  "UND_ERR_CONNECT_TIMEOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/** Statuses by which a proxy says it could not reach (or wait for) the target (RFC 9110 15.6.3-15.6.5). */
const GATEWAY_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/** Wait before retry `n` (1 = the wait after the first failed attempt). */
export function backoffMs(n: number): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, n - 1), MAX_BACKOFF_MS);
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whether a failed dial may succeed when tried again (see the module comment). */
export function isRetryableDial(err: unknown): boolean {
  if (err instanceof ConnectRefusedError || err instanceof ProxyAuthenticationError) return false;
  if (err instanceof LimitExceededError) return false;
  if (err instanceof TimeoutError) return true;
  if (err instanceof ProxyError) {
    if (err.httpStatus !== undefined) return GATEWAY_STATUSES.has(err.httpStatus);
    // No status: the proxy closed before answering CONNECT, or could not be reached (the socket error is the cause).
    if (err instanceof ProxyClosedError) return true;
    const cause = codeOf(err.cause);
    return cause !== undefined && RETRYABLE_CODES.has(cause);
  }
  if (err instanceof WinRMError) return false;
  const code = codeOf(err);
  return code !== undefined && RETRYABLE_CODES.has(code);
}

export interface DialContext {
  /** host:port of the WinRM endpoint, for messages. */
  readonly target: string;
  readonly connectMs: number;
  readonly attempts: number;
}

/**
 * The error one failed dial reports to its request: a WinRMError, always, phase "connect" (the raw Node error is its
 * cause).
 */
export function dialError(err: unknown, ctx: DialContext, tries: number, elapsedMs: number): WinRMError {
  const after =
    tries > 1
      ? ` (${tries} attempts in ${(elapsedMs / 1000).toFixed(1)} s; timeouts.connectAttempts = ${ctx.attempts})`
      : "";
  if (err instanceof ProxyError) {
    if (after === "") return err;
    return new ProxyError(`${err.message}${after}`, {
      cause: err,
      ...(err.httpStatus !== undefined ? { httpStatus: err.httpStatus } : {}),
    });
  }
  if (err instanceof TimeoutError) return after === "" ? err : new TimeoutError(`${err.message}${after}`, { cause: err });
  if (err instanceof WinRMError) return err;
  const code = codeOf(err);
  if (code === "UND_ERR_CONNECT_TIMEOUT" || code === "ETIMEDOUT") {
    return new TimeoutError(
      `connecting to ${ctx.target} took longer than timeouts.connectMs (${ctx.connectMs} ms)${after}`,
      { cause: err },
    );
  }
  const tlsText = describeTlsError(err);
  if (tlsText !== undefined) return new ConnectionError(`TLS to ${ctx.target} failed: ${tlsText}`, { cause: err, phase: "connect" });
  if (code !== undefined && (RETRYABLE_CODES.has(code) || code === "ENOTFOUND" || code === "EAI_AGAIN")) {
    return new ConnectionError(`cannot reach ${ctx.target}: ${code}${after}`, { cause: err, phase: "connect" });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new ConnectionError(`connecting to ${ctx.target} failed: ${msg}${after}`, { cause: err, phase: "connect" });
}

/**
 * Run `dial` up to ctx.attempts times while it fails retryably, waiting backoffMs between attempts. `stop` ends the
 * waiting early (the channel was closed or reset): the last failure is reported at once.
 */
export async function dialWithRetries<T>(
  dial: () => Promise<T>,
  ctx: DialContext,
  stop: AbortSignal,
  onRetry?: (failure: WinRMError, attempt: number, waitMs: number) => void,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await dial();
    } catch (err) {
      if (attempt >= ctx.attempts || stop.aborted || !isRetryableDial(err)) {
        throw dialError(err, ctx, attempt, Date.now() - started);
      }
      const wait = backoffMs(attempt);
      onRetry?.(dialError(err, ctx, 1, 0), attempt, wait);
      await sleep(wait, stop);
      if (stop.aborted) throw dialError(err, ctx, attempt, Date.now() - started);
    }
  }
}

function sleep(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stop.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener("abort", done, { once: true });
  });
}
