/**
 * Dial retries (timeouts.connectAttempts, issue 8 item 6) and what is never retried:
 * - a host that starts listening 5 s after the client began is reached by retries, and runs the command once;
 * - a proxy that answers CONNECT with 503 (target not reachable yet) is a dial failure too: retried, then tunnelled;
 * - a reset after the host accepted the Command is never retried: the emulator's log shows one Command, and the error
 *   says the host was reached and may have run it (not "cannot reach");
 * - attempts are bounded (connectAttempts, backoff), and a certificate failure is not retried.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { WinRMClient } from "../../provider/src/client.js";
import { ConnectionError, ConnectionLostError, ProxyError, TimeoutError } from "../../provider/src/errors.js";
import { backoffMs, isRetryableDial } from "../../provider/src/transport/dialRetry.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { ConnectRefusedError, ProxyClosedError } from "../../provider/src/transport/proxyTunnel.js";
import { HostilePeer } from "../peers/hostilePeer.js";
import { PASSWORD, startFixture, USER } from "./clientFixture.js";
import { testHost } from "./clientTestHost.js";

/** A port nothing listens on (bound by the OS, then released). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function commands(emu: WinRMEmulator): number {
  return emu.requests.filter((e) => e.action?.endsWith("/Command") === true).length;
}

async function waitUntil(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("dial retries", () => {
  test("a host that starts 5 s after the client began is reached by retries; the command runs once", async () => {
    const port = await unusedPort();
    const client = new WinRMClient({
      endpoint: `http://127.0.0.1:${port}/wsman`,
      auth: { mechanism: "negotiate", username: USER, password: PASSWORD },
      // The defaults: connectAttempts 10, connectMs 15 s.
    });
    let emu: WinRMEmulator | undefined;
    const started = Date.now();
    const late = setTimeout(() => {
      void WinRMEmulator.start({ host: testHost("win2019"), users: [{ username: USER, password: PASSWORD }], port }).then(
        (e) => (emu = e),
      );
    }, 5_000);
    try {
      const r = await client.run("echo booted");
      const elapsed = Date.now() - started;
      console.log(`# late host: reached after ${elapsed} ms with ${client.stats.dialRetries} retries`);
      assert.equal(r.stdout, "booted\r\n");
      assert.ok(elapsed >= 5_000, `reached after ${elapsed} ms, before the host listened?`);
      assert.ok(client.stats.dialRetries >= 3, `only ${client.stats.dialRetries} retries`);
      assert.ok(emu !== undefined);
      assert.equal(commands(emu), 1);
      assert.equal(emu.connections, 1, "the refused dials never reached the host");
    } finally {
      clearTimeout(late);
      await client.close();
      await emu?.close();
    }
  });

  test("connectAttempts bounds the attempts; the error says how many and how long", async () => {
    const port = await unusedPort();
    const client = new WinRMClient({
      endpoint: `http://127.0.0.1:${port}/wsman`,
      auth: { mechanism: "ntlm", username: USER, password: PASSWORD },
      timeouts: { connectAttempts: 3 },
    });
    const started = Date.now();
    try {
      const err = await client.identify().then(
        () => assert.fail("nothing listens"),
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      assert.ok(err instanceof ConnectionError, String(err));
      assert.ok(!(err instanceof ConnectionLostError));
      assert.equal(err.phase, "connect");
      assert.match(err.message, /cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED \(3 attempts in [\d.]+ s; timeouts\.connectAttempts = 3\)/);
      assert.equal(client.stats.dialRetries, 2);
      // Backoff 0.5 s then 1 s between the three attempts.
      assert.ok(elapsed >= backoffMs(1) + backoffMs(2) - 50, `gave up after ${elapsed} ms`);
    } finally {
      await client.close();
    }
  });

  test("timeoutMs ends the retries: TimeoutError at the caller's deadline, not after all attempts", async () => {
    const port = await unusedPort();
    const client = new WinRMClient({
      endpoint: `http://127.0.0.1:${port}/wsman`,
      auth: { mechanism: "ntlm", username: USER, password: PASSWORD },
    });
    const started = Date.now();
    try {
      const err = await client.run("echo x", { timeoutMs: 1_200 }).then(
        () => assert.fail("nothing listens"),
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      assert.ok(err instanceof TimeoutError, String(err));
      assert.match(err.message, /timeoutMs \(1200 ms\)/);
      assert.ok(elapsed < 3_000, `gave up after ${elapsed} ms`);
      const retries = client.stats.dialRetries;
      // No dial continues behind the caller's back.
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(client.stats.dialRetries, retries);
    } finally {
      await client.close();
    }
  });

  test("close() while a dial is being retried settles at once and stops the retries", async () => {
    const port = await unusedPort();
    const client = new WinRMClient({
      endpoint: `http://127.0.0.1:${port}/wsman`,
      auth: { mechanism: "ntlm", username: USER, password: PASSWORD },
    });
    const outcome = client.identify().then(
      () => assert.fail("nothing listens"),
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 700));
    const started = Date.now();
    await client.close();
    const err = await outcome;
    assert.ok(Date.now() - started < 1_500, `close() took ${Date.now() - started} ms`);
    assert.ok(err instanceof ConnectionError, String(err));
    assert.equal(err.phase, "connect");
    assert.ok(client.stats.dialRetries <= 2, `${client.stats.dialRetries} retries`);
  });

  test("the backoff doubles from 0.5 s and stays at 5 s", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 9].map(backoffMs), [500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  test("which dial failures are retried", () => {
    const sys = (code: string): Error => Object.assign(new Error(code), { code });
    for (const code of ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH"]) {
      assert.equal(isRetryableDial(sys(code)), true, code);
    }
    for (const code of ["ENOTFOUND", "ERR_TLS_CERT_ALTNAME_INVALID", "DEPTH_ZERO_SELF_SIGNED_CERT", "CERT_HAS_EXPIRED"]) {
      assert.equal(isRetryableDial(sys(code)), false, code);
    }
    assert.equal(isRetryableDial(new ProxyError("x", { httpStatus: 503 })), true);
    assert.equal(isRetryableDial(new ProxyError("x", { httpStatus: 502 })), true);
    assert.equal(isRetryableDial(new ProxyError("x", { httpStatus: 403 })), false);
    assert.equal(isRetryableDial(new ProxyError("x", { httpStatus: 407 })), false);
    assert.equal(isRetryableDial(new ProxyClosedError("closed before answering")), true);
    assert.equal(isRetryableDial(new ProxyError("cannot reach the proxy", { cause: sys("ECONNREFUSED") })), true);
    assert.equal(isRetryableDial(new ProxyError("not an HTTP response")), false);
    assert.equal(isRetryableDial(new ConnectRefusedError("403", { httpStatus: 403 })), false);
  });

  test("a proxy that answers CONNECT with 503 until the target is up: retried, then tunnelled", async () => {
    const f = await startFixture("win2019");
    const proxy = await HostilePeer.start({ mode: "connect-503-then-tunnel", failConnects: 2 });
    const client = new WinRMClient({ ...f.connection, proxy: { url: proxy.proxyUrl, mode: "tunnel" } });
    try {
      const r = await client.run("echo through");
      assert.equal(r.stdout, "through\r\n");
      assert.equal(client.stats.dialRetries, 2);
      assert.equal(proxy.requestLines.filter((l) => l.startsWith("CONNECT ")).length, 3);
      assert.equal(commands(f.emu), 1);
    } finally {
      await client.close();
      await proxy.close();
      await f.client.close();
      await f.emu.close();
    }
  });
});

describe("never a retry that could run a command twice", () => {
  test("a reset after the host accepted the Command: ConnectionLostError, one Command in the host's log", async () => {
    const f = await startFixture("win2019");
    try {
      await f.client.identify();
      const running = f.client.run("wait");
      const outcome = running.then(
        () => assert.fail("the connection was reset"),
        (e: unknown) => e,
      );
      // The Command is logged once answered (accepted); then the client waits in Receive (the command does not end).
      await waitUntil("the Command to be accepted", () => commands(f.emu) === 1);
      await new Promise((r) => setTimeout(r, 300));
      f.emu.dropConnections();
      const err = await outcome;
      assert.ok(err instanceof ConnectionLostError, String(err));
      assert.equal(err.code, "WINRM_CONNECTION_LOST");
      assert.equal(err.phase, "exchange");
      assert.equal(err.step, "Receive");
      assert.match(err.message, /^the host accepted the command \(CommandId [^)]+\), so it may have run or may still be running, and it was not sent again; then Receive: the connection to 127\.0\.0\.1:\d+ broke after the request was sent/);
      assert.doesNotMatch(err.message, /cannot reach/);
      assert.ok(!err.message.includes(PASSWORD));
      // Give a wrongly retrying client time to send the Command again.
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(commands(f.emu), 1, "the Command was sent again");
      assert.equal(f.client.stats.dialRetries, 0);
      f.host.release();
      // The client is still usable, on a new connection.
      const r = await f.client.run("echo after");
      assert.equal(r.stdout, "after\r\n");
      assert.equal(commands(f.emu), 2);
    } finally {
      f.host.release();
      await f.client.close();
      await f.emu.close();
    }
  });
});
