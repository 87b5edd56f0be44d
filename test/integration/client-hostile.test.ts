/**
 * The client against hostile peers (test/peers/hostilePeer.ts): a host, or a proxy on the path, that sends an endless
 * body (chunked, unframed, or declaring 10 GB), trickles one byte every 100 ms, floods the head, or floods its reply
 * to CONNECT. Each time the client fails with a named WinRMError (LimitExceededError naming the limit and its value,
 * or TimeoutError naming timeouts.readMs) within its deadline, and its memory stays under 100 MB above the start
 * although the peer kept sending. Also: close() settles after a TLS hostname mismatch (issue 9 point 4).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { WinRMClient } from "../../provider/src/client.js";
import type { ConnectionInput } from "../../provider/src/connection.js";
import { ConnectionError, LimitExceededError, TimeoutError, WinRMError } from "../../provider/src/errors.js";
import { responseBodyLimit } from "../../provider/src/transport/session.js";
import { MAX_ENVELOPE_SIZE_CEILING } from "../../provider/src/client.js";
import { MAX_HEADER_BYTES, MAX_HEADER_COUNT } from "../../provider/src/transport/http.js";
import { DEFAULT_MAX_ENVELOPE_SIZE } from "../../provider/src/wsman/envelope.js";
import { HostilePeer, peakRssGrowth, type HostileMode } from "../peers/hostilePeer.js";
import { PASSWORD, startFixture, USER } from "./clientFixture.js";

const MB = 1024 * 1024;
const MEMORY_BOUND = 100 * MB;
/** readMs of these clients: the total deadline per response (operationTimeoutSec must stay below it). */
const READ_MS = 3_000;

function connectionTo(endpoint: string, extra: Partial<ConnectionInput> = {}): ConnectionInput {
  return {
    endpoint,
    auth: { mechanism: "ntlm", username: USER, password: PASSWORD },
    timeouts: { connectAttempts: 1, connectMs: 2_000, operationTimeoutSec: 1, readMs: READ_MS },
    ...extra,
  };
}

/** Run one request against the peer; return the error, the peak memory growth and the time it took. */
async function failAgainst(
  connection: ConnectionInput,
): Promise<{ err: unknown; growthBytes: number; ms: number; client: WinRMClient }> {
  const client = new WinRMClient(connection);
  const { result: err, growthBytes, ms } = await peakRssGrowth(() =>
    client.identify().then(
      () => assert.fail("a hostile peer must not produce a result"),
      (e: unknown) => e,
    ),
  );
  return { err, growthBytes, ms, client };
}

function report(name: string, r: { growthBytes: number; ms: number }, peer: HostilePeer): void {
  // Numbers for the record (the assertions below are the bounds).
  console.log(
    `# ${name}: failed after ${r.ms} ms, rss growth ${(r.growthBytes / MB).toFixed(1)} MB, ` +
      `peer sent ${(peer.bytesSent / MB).toFixed(1)} MB`,
  );
}

async function withPeer(mode: HostileMode, body: (peer: HostilePeer) => Promise<void>): Promise<void> {
  const peer = await HostilePeer.start({ mode });
  try {
    await body(peer);
  } finally {
    await peer.close();
  }
}

describe("bounded responses from a hostile host", () => {
  // The HTTP layer caps at the largest MaxEnvelopeSize the client may declare (512000, WinRM 3.0); each message is
  // then held to the size actually declared (client.ts, session.ts).
  const bodyCap = responseBodyLimit(MAX_ENVELOPE_SIZE_CEILING);

  test("the body cap is derived from the MaxEnvelopeSize the client sends", () => {
    assert.equal(DEFAULT_MAX_ENVELOPE_SIZE, 153_600);
    assert.ok(bodyCap > MAX_ENVELOPE_SIZE_CEILING && bodyCap < 2 * MAX_ENVELOPE_SIZE_CEILING, String(bodyCap));
  });

  for (const mode of ["endless-chunked", "unframed-endless"] as const) {
    test(`${mode} body: LimitExceededError naming the cap, memory bounded`, async () => {
      await withPeer(mode, async (peer) => {
        const r = await failAgainst(connectionTo(peer.url));
        report(mode, r, peer);
        assert.ok(r.err instanceof LimitExceededError, String(r.err));
        assert.equal(r.err.code, "WINRM_LIMIT");
        assert.equal(r.err.limit, "response body bytes");
        assert.equal(r.err.value, bodyCap);
        assert.match(r.err.message, new RegExp(`limit response body bytes = ${bodyCap}`));
        assert.ok(!r.err.message.includes(PASSWORD));
        assert.ok(r.ms < READ_MS, `failed after ${r.ms} ms, not at the cap`);
        assert.ok(r.growthBytes < MEMORY_BOUND, `rss grew by ${r.growthBytes} bytes`);
        assert.ok(peer.bytesSent > bodyCap, "the peer did send more than the cap");
        // close() settles, and a closed client refuses further work.
        await r.client.close();
      });
    });
  }

  test("Content-Length: 10737418240: refused from the head, before reading the body", async () => {
    await withPeer("declared-10gb", async (peer) => {
      const r = await failAgainst(connectionTo(peer.url));
      report("declared-10gb", r, peer);
      assert.ok(r.err instanceof LimitExceededError, String(r.err));
      assert.equal(r.err.limit, "response body bytes");
      assert.equal(r.err.value, bodyCap);
      assert.match(r.err.message, /declared a response body of 10737418240 bytes \(Content-Length\)/);
      assert.ok(r.ms < READ_MS, `failed after ${r.ms} ms`);
      assert.ok(r.growthBytes < MEMORY_BOUND, `rss grew by ${r.growthBytes} bytes`);
      await r.client.close();
    });
  });

  test("a byte every 100 ms: the total deadline (timeouts.readMs) fires although bytes keep coming", async () => {
    await withPeer("trickle", async (peer) => {
      const r = await failAgainst(connectionTo(peer.url));
      report("trickle", r, peer);
      console.log(`# trickle: ${peer.trickled} body bytes arrived one by one before the deadline`);
      assert.ok(r.err instanceof TimeoutError, String(r.err));
      assert.equal(r.err.code, "WINRM_TIMEOUT");
      assert.match(r.err.message, new RegExp(`timeouts\\.readMs \\(${READ_MS} ms\\)`));
      assert.ok(r.ms >= READ_MS - 50 && r.ms < READ_MS + 1_500, `failed after ${r.ms} ms`);
      // The head came at once and body bytes kept arriving: idle timers alone would never have fired.
      assert.ok(peer.trickled >= 20, `the peer trickled ${peer.trickled} bytes`);
      assert.ok(r.growthBytes < MEMORY_BOUND);
      await r.client.close();
    });
  });

  test("an endless head: LimitExceededError naming the header bytes limit", async () => {
    await withPeer("header-flood", async (peer) => {
      const r = await failAgainst(connectionTo(peer.url));
      report("header-flood", r, peer);
      assert.ok(r.err instanceof LimitExceededError, String(r.err));
      assert.equal(r.err.limit, "response header bytes");
      assert.equal(r.err.value, MAX_HEADER_BYTES);
      assert.ok(r.growthBytes < MEMORY_BOUND);
      await r.client.close();
    });
  });

  test("500 header fields: LimitExceededError naming the header count limit", async () => {
    await withPeer("many-headers", async (peer) => {
      const r = await failAgainst(connectionTo(peer.url));
      assert.ok(r.err instanceof LimitExceededError, String(r.err));
      assert.equal(r.err.limit, "response header count");
      assert.equal(r.err.value, MAX_HEADER_COUNT);
      await r.client.close();
    });
  });
});

describe("bounded decrypted parts", () => {
  test("a sealed reply declaring OriginalContent Length 4 GiB: LimitExceededError before decrypting", async () => {
    const f = await startFixture("win2019");
    const port = Number(new URL(f.emu.url).port);
    const relay = await HostilePeer.start({ mode: "inflate-original-length", target: { host: "127.0.0.1", port } });
    const client = new WinRMClient({ ...f.connection, endpoint: relay.url, timeouts: { connectAttempts: 1 } });
    try {
      const err = await client.identify().then(
        () => assert.fail("the declared length is a lie"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof LimitExceededError, String(err));
      assert.equal(err.limit, "decrypted message bytes");
      assert.equal(err.value, DEFAULT_MAX_ENVELOPE_SIZE);
      // The handshake ran (empty bodies, not sealed), the sealed Identify reached the host.
      assert.ok(f.emu.requests.some((e) => e.encrypted), "no sealed request reached the host");
    } finally {
      await client.close();
      await relay.close();
      await f.client.close();
      await f.emu.close();
    }
  });
});

describe("bounded replies from a hostile proxy", () => {
  const cases: [HostileMode, string][] = [
    ["connect-head-flood", "CONNECT reply head bytes"],
    ["connect-body-flood", "CONNECT reply body bytes"],
  ];
  for (const [mode, limit] of cases) {
    test(`${mode}: LimitExceededError (${limit}), memory bounded, not retried`, async () => {
      await withPeer(mode, async (peer) => {
        const r = await failAgainst(
          connectionTo("http://127.0.0.1:9/wsman", {
            proxy: { url: peer.proxyUrl, mode: "tunnel" },
            timeouts: { connectAttempts: 5, connectMs: 5_000, operationTimeoutSec: 1, readMs: READ_MS },
          }),
        );
        report(mode, r, peer);
        assert.ok(r.err instanceof LimitExceededError, String(r.err));
        assert.equal(r.err.limit, limit);
        assert.ok(r.ms < 5_000, `failed after ${r.ms} ms`);
        assert.ok(r.growthBytes < MEMORY_BOUND);
        assert.equal(peer.connections, 1, "a limit breach is not a dial failure: no retry");
        assert.equal(r.client.stats.dialRetries, 0);
        await r.client.close();
      });
    });
  }
});

describe("close() always settles", () => {
  test("after a TLS hostname mismatch (issue 9: the CLI exited 13 because close() never settled)", async () => {
    const f = await startFixture("win2019", { tls: true });
    const client = new WinRMClient({ ...f.connection, tls: { ca: f.emu.caPem, serverName: "not-the-host.example" } });
    try {
      const err = await client.identify().then(
        () => assert.fail("the certificate does not name not-the-host.example"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConnectionError, String(err));
      assert.equal(err.phase, "connect");
      assert.match(err.message, /tls\.serverName/);
      assert.equal(client.stats.dialRetries, 0, "a certificate failure is not retried");
      let timer: NodeJS.Timeout | undefined;
      const settled = await Promise.race([
        client.close().then(() => "closed"),
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve("still pending after 5 s"), 5_000);
        }),
      ]);
      clearTimeout(timer);
      assert.equal(settled, "closed");
      assert.equal(f.emu.requests.length, 0, "nothing was sent over the unverified connection");
    } finally {
      await f.client.close();
      await f.emu.close();
    }
  });

  test("after a failed request on each hostile peer, close() settles and errors stay WinRMErrors", async () => {
    for (const mode of ["endless-chunked", "trickle"] as const) {
      await withPeer(mode, async (peer) => {
        const r = await failAgainst(connectionTo(peer.url));
        assert.ok(r.err instanceof WinRMError);
        await r.client.close();
        await r.client.close();
      });
    }
  });
});
