/**
 * One TCP connection, or one TLS session (over TCP, or inside an existing socket: a CONNECT or SOCKS5 tunnel), bounded
 * by a connect timeout. The raw Node errors are the caller's to name (dialRetry.ts dialError, tls.ts).
 *
 * - TCP_NODELAY: a request is written whole (head and body in one corked write) and the answer awaited;
 * - TCP keep-alive probes after 60 s idle, so a dead peer behind a NAT is noticed on a kept-alive socket;
 * - TLS: no session resumption (no session is passed in): a full handshake per socket, so every socket presents the
 *   host's certificate for the pin check and the channel bindings (RFC 5929 4.1).
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";

export interface SocketDialOptions {
  readonly host: string;
  readonly port: number;
  /** TLS options (Node's); undefined = plain TCP. */
  readonly tls?: ConnectionOptions | undefined;
  /** Run TLS inside this socket instead of dialling TCP (a tunnel). */
  readonly over?: Socket | undefined;
  readonly timeoutMs: number;
}

/** The timeout error of a dial; dialRetry.ts names it with timeouts.connectMs. */
export class DialTimeoutError extends Error {
  readonly code = "ETIMEDOUT";
  constructor(ms: number) {
    super(`connect timed out after ${ms} ms`);
  }
}

export function dialSocket(opts: SocketDialOptions): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const { host, port, tls, over } = opts;
    const socket: Socket =
      tls !== undefined
        ? tlsConnect({ ...tls, host, port, ...(over !== undefined ? { socket: over } : {}) })
        : netConnect({ host, port });
    const ready = tls !== undefined ? "secureConnect" : "connect";
    const timer = setTimeout(() => fail(new DialTimeoutError(opts.timeoutMs)), opts.timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.off(ready, done);
      socket.destroy();
      reject(err);
    };
    const done = (): void => {
      clearTimeout(timer);
      socket.off("error", fail);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 60_000);
      resolve(socket);
    };
    socket.once(ready, done);
    socket.once("error", fail);
  });
}
