/**
 * A TCP connection to the WinRM host through a SOCKS5 proxy (RFC 1928), with username/password (RFC 1929) when
 * proxy credentials are given. The bytes are made and read by the pure codec (wire/socks5.ts); this module only moves
 * them. After the CONNECT reply the socket is the host's end to end, as a CONNECT tunnel's is (proxyTunnel.ts):
 * TLS to the host for https:// endpoints, sealed HTTP for http:// ones.
 *
 * - socks5:// resolves the host name here (as curl's socks5://) and sends the address; socks5h:// sends the name and
 *   the proxy resolves it (curl's socks5h://, the way through an SSH bastion to names only it can resolve).
 * - Bounded: the whole exchange by connectMs and the caller's signal; a reply is at most 262 octets.
 * - Errors name the proxy by host:port only, never a credential.
 */
import { lookup } from "node:dns/promises";
import { connect as netConnect, type Socket } from "node:net";
import { AbortError, ProxyError, TimeoutError, WinRMError } from "../errors.js";
import {
  decodeConnectReply,
  decodeMethodChoice,
  decodeUserPassReply,
  encodeConnect,
  encodeGreeting,
  encodeUserPass,
  METHOD_USERNAME_PASSWORD,
  Socks5ReplyError,
  type Decoded,
} from "../wire/socks5.js";
import { emit, type PathObserver } from "./pathEvents.js";
import { proxyLabel, type ResolvedProxy } from "./proxyConfig.js";

/** The largest SOCKS5 reply (RFC 1928 6: 4 + 1 + 255 + 2 octets). */
const MAX_REPLY = 262;

export interface Socks5Options {
  readonly proxy: ResolvedProxy;
  readonly targetHost: string;
  readonly targetPort: number;
  readonly connectMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly observer?: PathObserver | undefined;
}

export function isSocksProxy(url: URL): boolean {
  return url.protocol === "socks5:" || url.protocol === "socks5h:";
}

export async function openSocks5(opts: Socks5Options): Promise<{ socket: Socket; proxyAuth: string | undefined }> {
  const label = proxyLabel(opts.proxy.url);
  const bareTarget = opts.targetHost.startsWith("[") ? opts.targetHost.slice(1, -1) : opts.targetHost;
  const target = `${opts.targetHost}:${opts.targetPort}`;
  const creds = opts.proxy.credentials;
  const host = opts.proxy.url.hostname.startsWith("[") ? opts.proxy.url.hostname.slice(1, -1) : opts.proxy.url.hostname;
  // RFC 1928 3: the SOCKS service is on TCP port 1080 unless the URL says otherwise.
  const socket = netConnect({ host, port: opts.proxy.url.port === "" ? 1080 : Number(opts.proxy.url.port) });
  socket.setNoDelay(true);
  let buf: Buffer = Buffer.alloc(0);
  let waiter: ((err?: Error) => void) | undefined;
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    waiter?.(failure);
  };
  const onData = (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    if (buf.length > MAX_REPLY) fail(new ProxyError(`the SOCKS5 proxy ${label} sent more than a reply`));
    else waiter?.();
  };
  const onClose = () => fail(new ProxyError(`the SOCKS5 proxy ${label} closed the connection during the handshake`));
  const onError = (err: Error) => fail(err);
  const timer = setTimeout(
    () => fail(new TimeoutError(`SOCKS5 through the proxy ${label} took longer than timeouts.connectMs (${opts.connectMs} ms)`)),
    opts.connectMs,
  );
  const onAbort = () => fail(new AbortError({ cause: opts.signal?.reason }));
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  socket.on("data", onData);
  socket.on("close", onClose);
  socket.on("error", onError);
  const wait = () =>
    new Promise<void>((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      waiter = (err) => {
        waiter = undefined;
        if (err !== undefined) reject(err);
        else resolve();
      };
    });
  const read = async <T>(decode: (b: Buffer) => Decoded<T> | undefined): Promise<T> => {
    for (;;) {
      const d = decode(buf);
      if (d !== undefined) {
        buf = buf.subarray(d.consumed);
        return d.value;
      }
      await wait();
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      waiter = (err) => (err !== undefined ? reject(err) : undefined);
      socket.once("connect", () => {
        waiter = undefined;
        resolve();
      });
    }).catch((err: unknown) => {
      const text = err instanceof WinRMError ? err.message : describe(err);
      emit(opts.observer, { type: "proxy-connect", proxy: label, ok: false, error: text });
      throw err instanceof WinRMError ? err : new ProxyError(`cannot reach the SOCKS5 proxy ${label}: ${text}`, { cause: err });
    });
    emit(opts.observer, { type: "proxy-connect", proxy: label, ok: true });
    const offered = creds !== undefined ? METHOD_USERNAME_PASSWORD : 0;
    socket.write(encodeGreeting(creds !== undefined));
    await read((b) => decodeMethodChoice(b, label, offered));
    if (creds !== undefined) {
      socket.write(encodeUserPass(creds.username, creds.password));
      await read((b) => decodeUserPassReply(b, label));
    }
    // socks5://: resolve here and send the address (RFC 1928 5 ATYP 1/4); socks5h://: send the name (ATYP 3).
    let address = bareTarget;
    if (opts.proxy.url.protocol === "socks5:") {
      try {
        address = (await lookup(bareTarget)).address;
      } catch (err) {
        throw new ProxyError(`cannot resolve ${bareTarget} for the SOCKS5 proxy ${label} (socks5:// resolves host names locally; socks5h:// lets the proxy resolve them)`, { cause: err });
      }
    }
    socket.write(encodeConnect(address, opts.targetPort));
    const socksEvent = {
      type: "socks" as const,
      proxy: label,
      target,
      auth: creds !== undefined ? "username/password" : "none",
      resolvedBy: opts.proxy.url.protocol === "socks5h:" ? ("proxy" as const) : ("client" as const),
    };
    try {
      await read((b) => decodeConnectReply(b, label, target));
    } catch (err) {
      emit(opts.observer, {
        ...socksEvent,
        ok: false,
        ...(err instanceof Socks5ReplyError ? { reply: err.reply } : {}),
        error: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
    emit(opts.observer, { ...socksEvent, ok: true });
    socket.off("data", onData);
    socket.off("close", onClose);
    socket.off("error", onError);
    socket.pause();
    if (buf.length > 0) socket.unshift(buf);
    return { socket, proxyAuth: creds !== undefined ? "username/password" : undefined };
  } catch (err) {
    socket.destroy();
    if (err instanceof WinRMError) throw err;
    throw new ProxyError(`SOCKS5 through the proxy ${label} failed: ${describe(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return err instanceof Error ? err.message : String(err);
}
