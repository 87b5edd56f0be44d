/**
 * The SOCKS5 leg (transport/socks5.ts) against a real SOCKS5 server, microsocks with username/password: the socket it
 * returns is the target's end to end (an echo server here), for socks5:// (resolved locally) and socks5h:// (the
 * proxy resolves the name); a wrong password is refused with a named error that carries no secret.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { once } from "node:events";
import { openSocks5 } from "../../provider/src/transport/socks5.js";
import type { ResolvedProxy } from "../../provider/src/transport/proxyConfig.js";
import { ProxyAuthenticationError, ProxyError } from "../../provider/src/errors.js";
import { Microsocks, microsocksMissing } from "../peers/microsocks.js";
import { freePort } from "../peers/daemon.js";
import type { PathEvent } from "../../provider/src/transport/pathEvents.js";
import { describeEvent } from "../../provider/src/cli/probe.js";

const USER = "sockuser";
const PASS = "S0cks-SECRET-pw";
const skip = microsocksMissing();

function proxy(url: string, password = PASS): ResolvedProxy {
  return {
    url: new URL(url),
    mode: "tunnel",
    auth: "basic",
    credentials: { username: USER, password },
    source: "config",
    field: "proxy.url",
  };
}

async function roundTrip(socket: net.Socket, text: string): Promise<string> {
  socket.resume();
  socket.write(text);
  const [chunk] = (await once(socket, "data")) as [Buffer];
  return chunk.toString();
}

describe("SOCKS5 through microsocks (RFC 1928 + RFC 1929)", { skip }, () => {
  let socks: Microsocks;
  let echo: net.Server;
  let echoPort = 0;
  before(async () => {
    socks = await Microsocks.start({ username: USER, password: PASS });
    echo = net.createServer((s) => s.on("data", (d) => s.write(Buffer.concat([Buffer.from("echo:"), d]))));
    echo.listen(0, "127.0.0.1");
    await once(echo, "listening");
    echoPort = (echo.address() as net.AddressInfo).port;
  });
  after(async () => {
    await socks?.stop();
    echo?.close();
  });

  for (const [scheme, host] of [
    ["socks5", "127.0.0.1"],
    ["socks5", "localhost"],
    ["socks5h", "127.0.0.1"],
  ] as const) {
    test(`${scheme}:// to ${host}: the socket reaches the target end to end`, async () => {
      const events: PathEvent[] = [];
      const { socket, proxyAuth } = await openSocks5({
        proxy: proxy(`${scheme}://127.0.0.1:${socks.port}`),
        targetHost: host,
        targetPort: echoPort,
        connectMs: 5000,
        observer: (e) => events.push(e),
      });
      try {
        assert.equal(proxyAuth, "username/password");
        assert.equal(await roundTrip(socket, "hello"), "echo:hello");
        assert.deepEqual(events.map((e) => e.type), ["proxy-connect", "socks"]);
        const socksEv = events[1];
        assert.ok(socksEv?.type === "socks" && socksEv.ok && socksEv.auth === "username/password");
        assert.equal(socksEv.resolvedBy, scheme === "socks5h" ? "proxy" : "client");
        // What `winrm-proxy probe` prints for the SOCKS leg.
        const step = describeEvent(socksEv);
        assert.equal(step.step, "socks");
        assert.ok(step.ok);
        assert.match(step.detail, /^SOCKS5 CONNECT .+ through socks5h?:\/\/127\.0\.0\.1:\d+ \(authentication username\/password, /);
      } finally {
        socket.destroy();
      }
    });
  }

  test("a wrong password is refused with a named error, without the secret", async () => {
    await assert.rejects(
      openSocks5({ proxy: proxy(`socks5://127.0.0.1:${socks.port}`, "wrong-pw"), targetHost: "127.0.0.1", targetPort: echoPort, connectMs: 5000 }),
      (e: unknown) => {
        assert.ok(e instanceof ProxyAuthenticationError, String(e));
        assert.equal(e.code, "WINRM_PROXY_AUTH_FAILED");
        assert.match(e.message, /SOCKS5 proxy socks5:\/\/127\.0\.0\.1:\d+ rejected the credentials/);
        assert.doesNotMatch(e.message, /wrong-pw|SECRET/);
        return true;
      },
    );
  });

  test("a target nobody listens on is a SOCKS5 reply error naming the proxy and the code", async () => {
    const port = await freePort();
    await assert.rejects(
      openSocks5({ proxy: proxy(`socks5://127.0.0.1:${socks.port}`), targetHost: "127.0.0.1", targetPort: port, connectMs: 5000 }),
      (e: unknown) => {
        assert.ok(e instanceof ProxyError, String(e));
        assert.match(e.message, /the SOCKS5 proxy socks5:\/\/127\.0\.0\.1:\d+ refused CONNECT 127\.0\.0\.1:\d+: reply \d+ \(/);
        return true;
      },
    );
  });

  test("no SOCKS server at the port: cannot reach, named", async () => {
    const port = await freePort();
    await assert.rejects(
      openSocks5({ proxy: proxy(`socks5://127.0.0.1:${port}`), targetHost: "127.0.0.1", targetPort: echoPort, connectMs: 5000 }),
      /cannot reach the SOCKS5 proxy socks5:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
    );
  });
});
