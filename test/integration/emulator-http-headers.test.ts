/**
 * http.sys header behaviour of the emulated host (MS-WSMV 2.2.9.1 transport; as Windows answers): no `Keep-Alive:`
 * header on any answer, `Connection: close` on a 401 for a scheme the host does not offer and on a 405, and the
 * connection kept open (no Connection header) on the ordinary anonymous 401; header lines in http.sys' order
 * (provider/src/testing/httpSysHeaders.ts): Content-Type, Server, WWW-Authenticate / Allow, Date, Connection,
 * Content-Length; no `Connection: keep-alive` line on an answer that keeps the connection (Windows sends none).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startEmulatedHost, type RunningEmulatedHost } from "../../provider/src/testing/index.js";
import { connect } from "node:net";
import { rawExchange } from "./emulatorHarness.js";

/** Sends `request` (two pipelined requests) on one connection; resolves with what came back until two heads ended. */
function twoAnswers(url: string, request: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname, () => sock.write(request));
    let data = "";
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(data);
    }, 5000);
    sock.on("data", (c: Buffer) => {
      data += c.toString("latin1");
      if (data.split("\r\n\r\n").length > 2) {
        clearTimeout(timer);
        sock.destroy();
        resolve(data);
      }
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

function headerLines(head: string): string[] {
  return head.split("\r\n").slice(1).filter((l) => l !== "");
}

/** The header names in order. */
function headerNames(head: string): string[] {
  return headerLines(head).map((l) => l.slice(0, l.indexOf(":")));
}

void describe("emulated host HTTP headers", () => {
  let host: RunningEmulatedHost;
  before(async () => {
    host = await startEmulatedHost({
      users: [{ username: "alice", password: "Passw0rd!" }],
      config: { "winrm/config/service/auth": { Basic: "true" }, "winrm/config/service": { AllowUnencrypted: "true" } },
    });
  });
  after(async () => {
    await host.close();
  });
  const post = (extra: string): Promise<string> =>
    rawExchange(host.url, `POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n${extra}\r\n`);

  void test("anonymous 401: no Keep-Alive header, no Connection line, connection left open", async () => {
    const lines = headerLines(await post(""));
    assert.ok(!lines.some((l) => l.toLowerCase().startsWith("keep-alive:")), lines.join("\n"));
    assert.ok(!lines.some((l) => l.toLowerCase().startsWith("connection:")), lines.join("\n"));
    // Two requests on one connection: both answered, so the connection was kept.
    const two = await twoAnswers(
      host.url,
      "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\nPOST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
    );
    assert.equal(two.split("HTTP/1.1 401 ").length - 1, 2, two);
  });

  void test("401 for a scheme not offered (CredSSP is off by default): Connection: close", async () => {
    const head = await post("Authorization: CredSSP AAAA\r\n");
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

  void test("header order of the anonymous 401: Server, one WWW-Authenticate per scheme, Date, Content-Length", async () => {
    const head = await post("");
    assert.deepEqual(headerNames(head), ["Server", "WWW-Authenticate", "WWW-Authenticate", "Date", "Content-Length"], head);
    assert.match(head, /\r\nDate: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/);
  });

  void test("header order of an answer with a body: Content-Type, Server, Date, Content-Length", async () => {
    const body = "<not-soap/>";
    const head = await rawExchange(
      host.url,
      "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YWxpY2U6UGFzc3cwcmQh\r\n" +
        `Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    assert.match(head, /^HTTP\/1\.1 500 /, "a SOAP fault for a body that is no envelope");
    assert.deepEqual(headerNames(head), ["Content-Type", "Server", "Date", "Content-Length"], head);
  });

  void test("header order of the 405 and of a closing 401: Connection before Content-Length", async () => {
    const head = await rawExchange(host.url, "GET /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert.deepEqual(headerNames(head), ["Server", "Allow", "Date", "Connection", "Content-Length"], head);
    const closing = await post("Authorization: CredSSP AAAA\r\n");
    assert.deepEqual(headerNames(closing).slice(-3), ["Date", "Connection", "Content-Length"], closing);
    assert.equal(headerNames(closing)[0], "Server", closing);
  });
});
