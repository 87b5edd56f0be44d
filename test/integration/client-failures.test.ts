/**
 * What the client refuses, and how it fails: refused configurations send zero bytes, a wrong password fails once
 * without looping, no secret in any error, a dropped connection costs one re-authentication, timeouts and aborts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { WinRMClient } from "../../provider/src/client.js";
import {
  AbortError,
  AuthenticationError,
  ConfigurationError,
  ConnectionError,
  InsecureProxyPathError,
  TimeoutError,
  WinRMError,
} from "../../provider/src/errors.js";
import { PASSWORD, startFixture } from "./clientFixture.js";

function assertNoSecret(err: unknown, secret: string): void {
  assert.ok(err instanceof Error);
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e instanceof Error && !seen.has(e)) {
    seen.add(e);
    assert.ok(!e.message.includes(secret), `secret in message: ${e.message}`);
    assert.ok(!(e.stack ?? "").includes(secret), "secret in stack");
    e = e.cause;
  }
}

describe("refused before any byte is sent", () => {
  const cases: { name: string; conn: (url: string) => unknown; type: new (...a: never[]) => Error; field: string }[] = [
    {
      name: "basic over http://",
      conn: (url) => ({ endpoint: url, auth: { mechanism: "basic", username: "u", password: PASSWORD } }),
      type: InsecureProxyPathError,
      field: "auth.mechanism",
    },
    {
      name: 'messageEncryption "never" over http://',
      conn: (url) => ({
        endpoint: url,
        auth: { mechanism: "negotiate", username: "u", password: PASSWORD },
        messageEncryption: "never",
      }),
      type: InsecureProxyPathError,
      field: "messageEncryption",
    },
    {
      name: 'messageEncryption "always" with basic',
      conn: (url) => ({
        endpoint: url.replace("http:", "https:"),
        auth: { mechanism: "basic", username: "u", password: PASSWORD },
        messageEncryption: "always",
      }),
      type: ConfigurationError,
      field: "messageEncryption",
    },
    {
      name: "credssp without auth.delegate (it hands the password to the host)",
      conn: (url) => ({ endpoint: url, auth: { mechanism: "credssp", username: "u", password: PASSWORD } }),
      type: ConfigurationError,
      field: "auth.delegate",
    },
    {
      name: "negotiate without a password to an IP address: neither Kerberos (no SPN) nor NTLM (no password)",
      conn: (url) => ({ endpoint: url, auth: { mechanism: "negotiate", username: "u" } }),
      type: ConfigurationError,
      field: "auth.password",
    },
    {
      name: "readMs not above the operation timeout",
      conn: (url) => ({
        endpoint: url,
        auth: { username: "u", password: PASSWORD },
        timeouts: { operationTimeoutSec: 30, readMs: 30_000 },
      }),
      type: ConfigurationError,
      field: "timeouts.readMs",
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const f = await startFixture("win2019");
      try {
        let caught: unknown;
        try {
          const client = new WinRMClient(c.conn(f.emu.url) as never);
          await client.run("echo should not run");
        } catch (err) {
          caught = err;
        }
        assert.ok(caught instanceof c.type, `got ${String(caught)}`);
        assert.equal((caught as ConfigurationError).field, c.field);
        assertNoSecret(caught, PASSWORD);
        assert.equal(f.emu.requests.length, 0);
        assert.equal(f.emu.connections, 0);
      } finally {
        await f.client.close();
        await f.emu.close();
      }
    });
  }

  test("the insecure-path error names the rule and the fix", () => {
    let caught: unknown;
    try {
      new WinRMClient({ endpoint: "http://h:5985/wsman", auth: { mechanism: "basic", username: "u", password: PASSWORD } });
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof InsecureProxyPathError);
    assert.equal(caught.rule, "never send an unencrypted WinRM message over HTTP");
    assert.match(caught.message, /never send an unencrypted WinRM message over HTTP/);
    assert.match(caught.message, /https:\/\//);
    assert.match(caught.message, /negotiate/);
  });
});

describe("authentication failures", () => {
  test("wrong password: AuthenticationError after one NEGOTIATE/AUTHENTICATE, no loop, no secret", async () => {
    const f = await startFixture("win2019");
    const wrong = "Wr0ng-Passw0rd-xyz";
    const client = new WinRMClient({ ...f.connection, auth: { username: "WIN-TEST\\alice", password: wrong } });
    try {
      const err = await client.run("echo x").then(
        () => assert.fail("should not succeed"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof AuthenticationError, String(err));
      assert.equal(err.mechanism, "ntlm");
      assert.equal(err.stage, "AUTHENTICATE");
      assert.equal(err.httpStatus, 401);
      assertNoSecret(err, wrong);
      assert.equal(f.emu.requests.length, 2, "NEGOTIATE + AUTHENTICATE, then stop");
      assert.ok(f.emu.requests.every((e) => e.bodyBytes === 0));
      // A second call tries again (the user may have fixed the account), still once.
      await assert.rejects(client.run("echo x"), AuthenticationError);
      assert.equal(f.emu.requests.length, 4);
    } finally {
      await client.close();
      await f.client.close();
      await f.emu.close();
    }
  });

  test("HTTPS: wrong password also fails cleanly", async () => {
    const f = await startFixture("win2008r2", { tls: true });
    const client = new WinRMClient({ ...f.connection, auth: { username: "nobody", password: "nope-nope" } });
    try {
      await assert.rejects(client.identify(), AuthenticationError);
      assert.equal(f.emu.requests.length, 2);
    } finally {
      await client.close();
      await f.client.close();
      await f.emu.close();
    }
  });
});

describe("connections", () => {
  test("a dropped connection: one new handshake on a new connection, the command still runs", async () => {
    const f = await startFixture("win2019");
    try {
      await f.client.run("echo first");
      assert.equal(f.client.stats.handshakes, 1);
      f.emu.dropConnections();
      // Let the client see the close (the socket's close); either way the next call must re-authenticate once.
      await new Promise((r) => setImmediate(r));
      const r = await f.client.run("echo second");
      assert.equal(r.stdout, "second\r\n");
      assert.equal(f.client.stats.handshakes, 2);
      assert.equal(f.emu.connections, 2);
      const second = f.emu.requests.filter((e) => e.connection === 2);
      assert.equal(second.filter((e) => e.authScheme !== undefined).length, 2, "NEGOTIATE + AUTHENTICATE once");
      assert.ok(second.filter((e) => e.action !== undefined).every((e) => e.encrypted));
    } finally {
      await f.client.close();
      await f.emu.close();
    }
  });

  test("TLS without the CA: ConnectionError that says to pass tls.ca", async () => {
    const f = await startFixture("win2019", { tls: true });
    const client = new WinRMClient({ ...f.connection, tls: {} });
    try {
      const err = await client.identify().then(
        () => assert.fail("should not trust an unknown CA"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConnectionError, String(err));
      assert.match(err.message, /tls\.ca/);
      assert.equal(f.emu.requests.length, 0);
    } finally {
      await client.close();
      await f.client.close();
      await f.emu.close();
    }
  });

  test("connection refused: ConnectionError", async () => {
    const f = await startFixture("win2019");
    const url = f.emu.url;
    await f.client.close();
    await f.emu.close();
    // One attempt: the retries for a host that is still starting are client-retries.test.ts's subject.
    const client = new WinRMClient({ endpoint: url, auth: { username: "u", password: PASSWORD }, timeouts: { connectAttempts: 1 } });
    try {
      const err = await client.run("echo x").then(
        () => assert.fail("nothing listens"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConnectionError, String(err));
      assert.equal(err.phase, "connect");
      assert.match(err.message, /cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED$/);
      assertNoSecret(err, PASSWORD);
    } finally {
      await client.close();
    }
  });
});

describe("deadlines", () => {
  test("timeoutMs: TimeoutError, and the shell is deleted afterwards", async () => {
    const f = await startFixture("win2019", { maxOperationTimeoutMs: 20 });
    try {
      await f.client.identify();
      const err = await f.client.run("wait", { timeoutMs: 150 }).then(
        () => assert.fail("wait never finishes"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof TimeoutError, String(err));
      assert.match(err.message, /timeoutMs/);
      const acts = f.emu.requests.map((e) => e.action);
      assert.ok(acts.includes("Delete") || acts.some((a) => a?.endsWith("/Delete")), "best-effort Delete after the timeout");
      // The client is still usable.
      f.host.release();
      const r = await f.client.run("echo after");
      assert.equal(r.stdout, "after\r\n");
    } finally {
      f.host.release();
      await f.client.close();
      await f.emu.close();
    }
  });

  test("an aborted signal: AbortError, no request sent", async () => {
    const f = await startFixture("win2019");
    try {
      const ctl = new AbortController();
      ctl.abort();
      await assert.rejects(f.client.run("echo x", { signal: ctl.signal }), AbortError);
      assert.equal(f.emu.requests.length, 0);
    } finally {
      await f.client.close();
      await f.emu.close();
    }
  });

  test("errors are WinRMError with stable codes", async () => {
    const f = await startFixture("win2019");
    try {
      const ctl = new AbortController();
      ctl.abort();
      const err = await f.client.run("echo", { signal: ctl.signal }).catch((e: unknown) => e);
      assert.ok(err instanceof WinRMError);
      assert.equal(err.code, "WINRM_ABORTED");
    } finally {
      await f.client.close();
      await f.emu.close();
    }
  });
});
