/**
 * Commands against the emulated host through a real SOCKS5 server (microsocks): an http:// endpoint with sealed
 * NTLM (no SOCKS credentials: RFC 1929 sends them in clear, so they need https://), and an https:// endpoint with
 * SOCKS username/password (socks5h://, the proxy resolves "localhost"). A byte recorder between the client and the
 * SOCKS server sees no plaintext WinRM, no password; a wrong SOCKS password is refused with a named error.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { once } from "node:events";
import { WinRMClient } from "../../provider/src/client.js";
import { InsecureProxyPathError, ProxyAuthenticationError } from "../../provider/src/errors.js";
import { echoThrough, PASSWORD, startFixture, type Fixture } from "./clientFixture.js";
import { Microsocks, microsocksMissing } from "../peers/microsocks.js";
import { SOAP_MARKERS, findLeaks, secretForms } from "../peers/recordingProxy.js";

const SOCKS_USER = "sockuser";
const SOCKS_PASSWORD = "S0cks-Secret-7x!";
const MARKER = "through-socks-7f2a";

/** A TCP relay that records every byte the client sends to the SOCKS server and back. */
async function recorder(toPort: number): Promise<{ port: number; bytes: () => Buffer; close: () => void }> {
  const chunks: Buffer[] = [];
  const server = net.createServer((c) => {
    const up = net.connect(toPort, "127.0.0.1");
    c.on("data", (d: Buffer) => {
      chunks.push(d);
      up.write(d);
    });
    up.on("data", (d: Buffer) => {
      chunks.push(d);
      c.write(d);
    });
    c.on("close", () => up.destroy());
    up.on("close", () => c.destroy());
    c.on("error", () => up.destroy());
    up.on("error", () => c.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as net.AddressInfo).port, bytes: () => Buffer.concat(chunks), close: () => server.close() };
}


describe("WinRM through a real SOCKS5 server (microsocks)", { skip: microsocksMissing() }, () => {
  let http: Fixture;
  let https: Fixture;
  let open: Microsocks;
  let authed: Microsocks;
  before(async () => {
    [http, https, open, authed] = await Promise.all([
      startFixture("win2019"),
      startFixture("win2019", { tls: true, cbtHardening: "Strict" }),
      Microsocks.start(),
      Microsocks.start({ username: SOCKS_USER, password: SOCKS_PASSWORD }),
    ]);
  });
  after(async () => {
    await Promise.allSettled([http?.client.close(), https?.client.close(), http?.emu.close(), https?.emu.close(), open?.stop(), authed?.stop()]);
  });

  test("http:// endpoint, sealed NTLM, socks5://: runs, and the SOCKS leg carries no plaintext WinRM", async () => {
    const rec = await recorder(open.port);
    try {
      const events = await echoThrough({
        ...http.connection,
        auth: { mechanism: "ntlm", username: http.connection.auth.username, password: PASSWORD },
        proxy: { url: `socks5://127.0.0.1:${rec.port}` },
      }, MARKER);
      assert.ok(events.some((e) => e.type === "proxy-connect" && e.ok));
      assert.ok(events.some((e) => e.type === "encryption" && e.sealed));
      const leaks = findLeaks(rec.bytes(), [...secretForms(PASSWORD), ...SOAP_MARKERS, { label: "output", bytes: Buffer.from(MARKER) }]);
      assert.deepEqual(leaks, []);
      assert.ok(rec.bytes().length > 1000, "the recorder saw the session");
    } finally {
      rec.close();
    }
  });

  test("https:// endpoint, socks5h:// with username/password: runs; TLS to the host inside; nothing in clear", async () => {
    const rec = await recorder(authed.port);
    try {
      const events = await echoThrough({
        ...https.connection,
        proxy: { url: `socks5h://127.0.0.1:${rec.port}`, auth: "basic", username: SOCKS_USER, password: SOCKS_PASSWORD },
      }, MARKER);
      assert.ok(events.some((e) => e.type === "tls"));
      const bytes = rec.bytes();
      const leaks = findLeaks(bytes, [...secretForms(PASSWORD), ...SOAP_MARKERS, { label: "output", bytes: Buffer.from(MARKER) }]);
      assert.deepEqual(leaks, []);
      // RFC 1929 itself is in clear (why it needs https://): the SOCKS password is on this leg, the host's is not.
      assert.ok(bytes.includes(Buffer.from(SOCKS_PASSWORD)));
    } finally {
      rec.close();
    }
  });

  test("a wrong SOCKS password is refused with a named error", async () => {
    const client = new WinRMClient({
      ...https.connection,
      proxy: { url: `socks5h://127.0.0.1:${authed.port}`, auth: "basic", username: SOCKS_USER, password: "wrong-password" },
    });
    try {
      await assert.rejects(client.run("echo x"), (e: unknown) => {
        assert.ok(e instanceof ProxyAuthenticationError, String(e));
        assert.match(e.message, /SOCKS5 proxy socks5h:\/\/127\.0\.0\.1:\d+ rejected the credentials/);
        assert.doesNotMatch(e.message, /wrong-password/);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  test("SOCKS credentials with an http:// endpoint are refused before any byte (no plaintext)", () => {
    assert.throws(
      () =>
        new WinRMClient({
          ...http.connection,
          proxy: { url: `socks5://127.0.0.1:${authed.port}`, auth: "basic", username: SOCKS_USER, password: SOCKS_PASSWORD },
        }),
      (e: unknown) => e instanceof InsecureProxyPathError && e.message.includes("proxy.username"),
    );
  });
});
