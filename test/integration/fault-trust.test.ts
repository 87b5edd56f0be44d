/**
 * provider/src/faultTrust.ts against someone on the path of a sealed http:// session: a relay that lets the Create
 * through to the emulated host and answers it itself with a MaxEnvelopeSize refusal in clear. The client must not act
 * on it (no winrm/config read, no second Create): the host did run the request, and a re-send would run it twice.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import type { AddressInfo } from "node:net";

import { WinRMClient } from "../../provider/src/client.js";
import { ProtocolError, WSManFaultError } from "../../provider/src/errors.js";
import { envelopeSizeFault } from "../../provider/src/testing/envelopeLimit.js";
import { shortAction } from "../../provider/src/testing/index.js";
import { buildRequest } from "../../provider/src/wsman/envelope.js";
import { ACTION, RESOURCE_URI } from "../../provider/src/wsman/namespaces.js";
import { parseEnvelope } from "../../provider/src/wsman/parse.js";
import { startFixture, type Fixture } from "./clientFixture.js";

/** An unsealed 500 with the refusal Windows sends (its text does not depend on the request it answers). */
function forgedRefusal(): Buffer {
  const req = parseEnvelope(buildRequest({ to: "http://h:5985/wsman", action: ACTION.create, resourceUri: RESOURCE_URI.cmd, maxEnvelopeSize: 512000, messageId: "uuid:1" }).xml);
  const soap = Buffer.from(envelopeSizeFault("WIN-TEST", req, 150)?.soap ?? "", "utf8");
  assert.ok(soap.length > 0);
  const head = `HTTP/1.1 500 \r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: ${soap.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), soap]);
}

/**
 * Relays to `target`, passing every response but the `nth` sealed one (multipart/encrypted), which it swaps for
 * `replacement`. Responses are read by their Content-Length (the emulated host always sends one).
 */
async function swappingRelay(target: number, nth: number, replacement: Buffer): Promise<{ port: number; close: () => Promise<void> }> {
  let sealedSeen = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(target, "127.0.0.1");
    sockets.add(down).add(up);
    down.on("error", () => up.destroy());
    up.on("error", () => down.destroy());
    down.on("data", (d: Buffer) => up.write(d));
    down.on("close", () => up.destroy());
    up.on("close", () => down.destroy());
    let buffered = Buffer.alloc(0);
    up.on("data", (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      for (;;) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString("latin1");
        const length = Number(/\r\ncontent-length:\s*(\d{1,9})/i.exec(head)?.[1] ?? "0");
        if (buffered.length < end + 4 + length) return;
        const response = buffered.subarray(0, end + 4 + length);
        buffered = buffered.subarray(end + 4 + length);
        const sealed = /\r\ncontent-type:\s*multipart\/encrypted/i.test(head);
        if (sealed && ++sealedSeen === nth) down.write(replacement);
        else down.write(response);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const fixtures: Fixture[] = [];
after(async () => {
  for (const f of fixtures) await f.emu.close();
});

test("a MaxEnvelopeSize refusal in clear on a sealed session: a ProtocolError, the Create is not sent again", async () => {
  const f = await startFixture("win2019");
  fixtures.push(f);
  // Sealed answers: Identify, then the Create, which the relay answers in the host's place.
  const relay = await swappingRelay(Number(new URL(f.emu.url).port), 2, forgedRefusal());
  const client = new WinRMClient({ ...f.connection, endpoint: `http://127.0.0.1:${relay.port}/wsman` });
  const from = f.emu.requests.length;
  try {
    await assert.rejects(client.run("echo once"), (e: unknown) => {
      assert.ok(e instanceof ProtocolError && /came unsealed/.test(e.message), String(e));
      assert.ok(e.cause instanceof WSManFaultError && e.cause.wsmanCode === 0x80338047, String(e.cause));
      return true;
    });
  } finally {
    await client.close();
    await relay.close();
  }
  const actions = f.emu.requests.slice(from).map((r) => shortAction(r.action ?? ""));
  assert.equal(actions.filter((a) => a === "Create").length, 1, actions.join(", "));
  assert.ok(!actions.includes("Get"), `no winrm/config read: ${actions.join(", ")}`);
});
