/**
 * http.sys header behaviour of the emulated host (MS-WSMV 2.2.9.1 transport; as Windows answers): no `Keep-Alive:`
 * header on any answer, `Connection: close` on a 401 for a scheme the host does not offer and on a 405, and the
 * connection kept open (no Connection header) on the ordinary anonymous 401.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startEmulatedHost, type RunningEmulatedHost } from "../../provider/src/testing/index.js";
import { rawExchange } from "./emulatorHarness.js";

function headerLines(head: string): string[] {
  return head.split("\r\n").slice(1).filter((l) => l !== "");
}

void describe("emulated host HTTP headers", () => {
  let host: RunningEmulatedHost;
  before(async () => {
    host = await startEmulatedHost({ users: [{ username: "alice", password: "Passw0rd!" }] });
  });
  after(async () => {
    await host.close();
  });
  const post = (extra: string): Promise<string> =>
    rawExchange(host.url, `POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n${extra}\r\n`);

  void test("anonymous 401: no Keep-Alive header, connection left open", async () => {
    const lines = headerLines(await post(""));
    assert.ok(!lines.some((l) => l.toLowerCase().startsWith("keep-alive:")), lines.join("\n"));
    assert.ok(!lines.some((l) => l.toLowerCase() === "connection: close"), lines.join("\n"));
  });

  void test("401 for a scheme not offered (Basic is off by default): Connection: close", async () => {
    const head = await post("Authorization: Basic YWxpY2U6UGFzc3cwcmQh\r\n");
    assert.match(head, /^HTTP\/1\.1 401 /);
    const lines = headerLines(head);
    assert.ok(lines.some((l) => l.toLowerCase() === "connection: close"), lines.join("\n"));
    assert.ok(!lines.some((l) => l.toLowerCase().startsWith("keep-alive:")), lines.join("\n"));
  });

  void test("405 for a method other than POST: Connection: close", async () => {
    const head = await rawExchange(host.url, "GET /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert.match(head, /^HTTP\/1\.1 405 /);
    assert.ok(headerLines(head).some((l) => l.toLowerCase() === "connection: close"), head);
  });
});
