/**
 * A host's TLS renegotiations are bounded and may not change its certificate (transport/tls.ts
 * HostRenegotiationWatch): a listener that answers every request with one HelloRequest after another (RFC 5246
 * 7.4.1.1) would otherwise hold the request until its read timeout, since Node's TLS client accepts them without limit.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import tls from "node:tls";
import { X509Certificate } from "node:crypto";
import type { AddressInfo } from "node:net";

import { WinRMClient } from "../../provider/src/client.js";
import { MAX_HOST_RENEGOTIATIONS } from "../../provider/src/transport/tls.js";
import { generateTlsMaterial } from "../../provider/src/testing/index.js";

/** Renegotiates `times` times (or until the client leaves) after the first request bytes, then answers 401. */
async function renegotiatingHost(times: number): Promise<{ url: string; thumbprint: string; renegotiations: () => number; close: () => Promise<void> }> {
  const material = await generateTlsMaterial();
  // The server-side guard against client-initiated renegotiation counts ours too: lift it for this listener.
  (tls as { CLIENT_RENEG_LIMIT: number }).CLIENT_RENEG_LIMIT = 1_000_000;
  let done = 0;
  const server = tls.createServer({ key: material.keyPem, cert: material.certPem, maxVersion: "TLSv1.2" }, (socket) => {
    socket.on("error", () => undefined);
    socket.once("data", () => {
      const again = (): void => {
        if (socket.destroyed) return;
        if (done >= times) {
          socket.end("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nWWW-Authenticate: Basic\r\n\r\n");
          return;
        }
        const started = socket.renegotiate({ rejectUnauthorized: false }, (err) => {
          if (err) return;
          done++;
          again();
        });
        if (!started) socket.destroy();
      };
      again();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/wsman`,
    thumbprint: new X509Certificate(material.certDer).fingerprint256.replaceAll(":", "").toLowerCase(),
    renegotiations: () => done,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

void describe("TLS renegotiation by the host", () => {
  let forever: Awaited<ReturnType<typeof renegotiatingHost>>;
  let once: Awaited<ReturnType<typeof renegotiatingHost>>;
  before(async () => {
    forever = await renegotiatingHost(1000);
    once = await renegotiatingHost(1);
  });
  after(async () => {
    await forever.close();
    await once.close();
  });

  const run = (host: typeof forever) => {
    const client = new WinRMClient({
      endpoint: host.url,
      auth: { mechanism: "basic", username: "u", password: "Reneg-pw!" },
      tls: { thumbprint: host.thumbprint },
      timeouts: { readMs: 60_000 },
    });
    return client.run("echo x").finally(() => client.close());
  };

  test(`a host renegotiating forever is cut off after ${MAX_HOST_RENEGOTIATIONS} renegotiations, well before the read timeout`, async () => {
    const started = Date.now();
    await assert.rejects(run(forever), (e: unknown) => {
      const chain: string[] = [];
      for (let cur: unknown = e; cur !== undefined && chain.length < 6; cur = (cur as { cause?: unknown }).cause) chain.push(cur instanceof Error ? `${cur.name}: ${cur.message}` : JSON.stringify(cur));
      assert.ok(chain.some((m) => m.includes(`renegotiated TLS more than ${MAX_HOST_RENEGOTIATIONS} times`)), chain.join(" <- "));
      assert.ok(!chain.some((m) => m.includes("Reneg-pw!")), "no password in the error");
      return true;
    });
    assert.ok(forever.renegotiations() <= MAX_HOST_RENEGOTIATIONS, `${forever.renegotiations()} renegotiations completed`);
    assert.ok(Date.now() - started < 50_000, "not held until the read timeout");
  });

  test("one renegotiation with the same certificate (http.sys asking for a client certificate) goes through", async () => {
    await assert.rejects(run(once), (e: unknown) => {
      assert.match(String(e), /refused the credentials|401/i);
      return true;
    });
    assert.equal(once.renegotiations(), 1);
  });
});
