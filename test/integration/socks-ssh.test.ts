/**
 * The SSH-bastion path: `ssh -D` through a throwaway sshd on loopback (test/peers/sshd.ts) is a SOCKS5 server; the
 * client runs commands through it against the emulated host, to an http:// endpoint (sealed NTLM: the tunnel's far
 * end is in clear to the bastion, so the seal matters) and to an https:// endpoint, with socks5h:// so the bastion
 * resolves the name.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { echoThrough, PASSWORD, startFixture, type Fixture } from "./clientFixture.js";
import { SshBastion, sshMissing } from "../peers/sshd.js";

const MARKER = "through-ssh-d-91c0";


describe("WinRM through an SSH bastion (ssh -D)", { skip: sshMissing() }, () => {
  let http: Fixture;
  let https: Fixture;
  let bastion: SshBastion;
  before(async () => {
    [http, https, bastion] = await Promise.all([
      startFixture("win2019"),
      startFixture("win2019", { tls: true }),
      SshBastion.start(),
    ]);
  });
  after(async () => {
    await Promise.allSettled([http?.client.close(), https?.client.close(), http?.emu.close(), https?.emu.close(), bastion?.stop()]);
  });

  test("http:// endpoint, sealed NTLM, socks5://", async () => {
    const events = await echoThrough({
      ...http.connection,
      auth: { mechanism: "ntlm", username: http.connection.auth.username, password: PASSWORD },
      proxy: { url: `socks5://127.0.0.1:${bastion.socksPort}` },
    }, MARKER);
    assert.ok(events.some((e) => e.type === "encryption" && e.sealed));
  });

  test("https:// endpoint, socks5h:// (the bastion resolves localhost)", async () => {
    const events = await echoThrough({ ...https.connection, proxy: { url: `socks5h://127.0.0.1:${bastion.socksPort}` } }, MARKER);
    assert.ok(events.some((e) => e.type === "tls"));
  });
});
