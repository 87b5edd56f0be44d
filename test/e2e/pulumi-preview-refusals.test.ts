/**
 * `pulumi preview` on the real Pulumi CLI v3.248.0 refuses each path `up` would refuse (Basic over http://,
 * messageEncryption "never" over http://, proxy credentials with an http:// endpoint, forward mode with https://, a
 * missing password, tls.rejectUnauthorized false without tls.thumbprint), naming the full property path (`connection.auth.mechanism`, ...) and the fix; neither the host
 * nor the proxy (a real squid) sees a single request.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ConnectionInput } from "../../provider/src/connection.js";
import { ConnectionLab, FIRST_PASSWORD, STACK, USER } from "./connectionLab.js";
import { labMissing } from "./fleetLab.js";

const skip = labMissing();

describe("pulumi preview refuses what up would refuse, on the real CLI", { skip }, () => {
  let lab: ConnectionLab;
  before(async () => {
    lab = await ConnectionLab.start();
  });
  after(async () => {
    await lab?.stop();
  });

  test("each refused path names connection.* and the fix; nothing reaches the host or the proxy", async () => {
    const proxyUrl = `http://127.0.0.1:${lab.squid.port}`;
    const http = lab.connectionTo(lab.web01);
    const https = { ...http, endpoint: lab.web01.emulator.url.replace(/^http:/, "https:") };
    const refused: { connection: ConnectionInput; property: string; says: RegExp }[] = [
      {
        connection: { ...http, auth: { mechanism: "basic", username: USER, password: FIRST_PASSWORD } },
        property: "connection.auth.mechanism",
        says: /basic over http:\/\/ would send the password/,
      },
      { connection: { ...http, messageEncryption: "never" }, property: "connection.messageEncryption", says: /"never" over http:\/\/ would send every message in clear/ },
      {
        connection: { ...http, proxy: { url: proxyUrl, auth: "basic", username: "svc", password: "Proxy-Passw0rd!" } },
        property: "connection.proxy.auth",
        says: /sends proxy credentials for an http:\/\/ endpoint/,
      },
      { connection: { ...https, proxy: { url: proxyUrl, mode: "forward" } }, property: "connection.proxy.mode", says: /"forward" with an https:\/\/ endpoint/ },
      { connection: { ...http, auth: { mechanism: "ntlm", username: USER } }, property: "connection.auth.password", says: /is required with connection\.auth\.mechanism "ntlm"/ },
      {
        // Neither CA validation nor a pin (docs/tls.md).
        connection: { ...https, tls: { rejectUnauthorized: false } },
        property: "connection.tls.rejectUnauthorized",
        says: /false without connection\.tls\.thumbprint, so nothing would verify the host/,
      },
    ];
    for (const r of refused) {
      lab.writeSpec({ refused: r.connection });
      const preview = await lab.project.run(["preview", "--non-interactive", "--stack", STACK]);
      const out = preview.stdout + preview.stderr;
      assert.notEqual(preview.code, 0, `preview of ${r.property} passed:\n${out}`);
      assert.ok(out.includes(r.property), `preview output does not name ${r.property}:\n${out}`);
      assert.match(out, r.says);
      assert.ok(!out.includes(FIRST_PASSWORD) && !out.includes("Proxy-Passw0rd!"), "no password in the output");
    }
    assert.deepEqual(lab.web01.emulator.requests, [], "the host saw no request");
    assert.deepEqual(lab.squid.accessLog(), [], "the proxy saw no request");
  });
});
