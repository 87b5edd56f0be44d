/**
 * A TCP relay on loopback that delays each direction by `oneWayMs` (this kernel has no netem): every chunk is
 * forwarded `oneWayMs` after it arrived, in order, so a request/response pair costs 2 x oneWayMs of round-trip time.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface DelayRelay {
  readonly port: number;
  close(): Promise<void>;
}

function delayed(from: Socket, to: Socket, ms: number): void {
  from.on("data", (chunk: Buffer) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, ms);
  });
  from.on("end", () => setTimeout(() => to.end(), ms));
}

export async function startDelayRelay(targetPort: number, oneWayMs: number): Promise<DelayRelay> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    delayed(client, upstream, oneWayMs);
    delayed(upstream, client, oneWayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("relay has no port");
  return {
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
