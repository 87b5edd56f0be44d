/**
 * The SSH-bastion path: `ssh -D` through a throwaway sshd on loopback (test/peers/sshd.ts) is a SOCKS5 server; the
 * client runs commands through it against the emulated host, to an http:// endpoint (sealed NTLM: the tunnel's far
 * end is in clear to the bastion, so the seal matters) and to an https:// endpoint, with socks5h:// so the bastion
 * resolves the name.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { WinRMClient } from "../../provider/src/client.js";
import type { ConnectionInput } from "../../provider/src/connection.js";
import type { PathEvent } from "../../provider/src/transport/pathEvents.js";
import { PASSWORD, startFixture, type Fixture } from "./clientFixture.js";
import { SshBastion, sshMissing } from "../peers/sshd.js";

const MARKER = "through-ssh-d-91c0";

async function run(connection: ConnectionInput): Promise<PathEvent[]> {
  const events: PathEvent[] = [];
  const client = new WinRMClient(connection, { observer: (e) => events.push(e) });
  try {
    const r = await client.run(`echo ${MARKER}`);
    assert.equal(r.stdout, `${MARKER}\r\n`);
    assert.equal(r.exitCode, 0);
  } finally {
    await client.close();
  }
  return events;
}

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
    const events = await run({
      ...http.connection,
      auth: { mechanism: "ntlm", username: http.connection.auth.username, password: PASSWORD },
      proxy: { url: `socks5://127.0.0.1:${bastion.socksPort}` },
    });
    assert.ok(events.some((e) => e.type === "encryption" && e.sealed));
  });

  test("https:// endpoint, socks5h:// (the bastion resolves localhost)", async () => {
    const events = await run({ ...https.connection, proxy: { url: `socks5h://127.0.0.1:${bastion.socksPort}` } });
    assert.ok(events.some((e) => e.type === "tls"));
  });
});
