/**
 * `winrm-proxy` with Kerberos from the ticket cache and no --username: after `kinit bob` (a throwaway MIT KDC,
 * test/peers/kdc.ts), `exec --auth kerberos` and `--auth negotiate` authenticate as the cache's principal, which the
 * emulated host's acceptor reports (the request log's user); an empty cache fails with 255 and sends no request.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";

import { EmulatedHost } from "../../provider/src/testing/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { type Kdc, kdcMissing, startKdc } from "../peers/kdc.js";
import { runCli } from "./cliHarness.js";

const UNSET = ["WINRM_ENDPOINT", "WINRM_USERNAME", "WINRM_PASSWORD"];

describe("winrm-proxy with the Kerberos ticket cache and no --username", { skip: kdcMissing(), concurrency: false }, () => {
  let kdc!: Kdc;
  let emu!: WinRMEmulator;
  let restoreEnv: () => void = () => undefined;

  before(async () => {
    // Two users: the cache holds the second, so a principal taken from anywhere but the cache would show.
    kdc = await startKdc({
      users: [
        { name: "alice", password: "Al1ce-krb-pw" },
        { name: "bob", password: "B0b-krb-pw" },
      ],
    });
    // The in-process emulator's acceptor reads KRB5_CONFIG; the CLI child inherits the same variables.
    restoreEnv = kdc.applyToProcess();
    const host = new EmulatedHost({ profile: "win2019", locale: "en-US", computerName: "KRBHOST" });
    emu = await WinRMEmulator.start({ host, users: [], keytab: kdc.keytab });
  });

  after(async () => {
    await emu?.close();
    restoreEnv();
    await kdc?.stop();
  });

  const run = (auth: string) =>
    runCli(["exec", "--endpoint", emu.url, "--auth", auth, "--spn", "HTTP/localhost", "--", "hostname"], { env: kdc.env, unset: UNSET });

  test("an empty cache: exit 255 (no ticket), and nothing reaches the host", async () => {
    rmSync(kdc.ccache.replace(/^FILE:/, ""), { force: true });
    const before = emu.requests.length;
    const r = await run("kerberos");
    assert.equal(r.status, 255, r.stderr);
    assert.match(r.stderr, /ticket|credentials/i);
    assert.equal(emu.requests.length, before);
  });

  for (const auth of ["kerberos", "negotiate"]) {
    test(`--auth ${auth}: runs as the principal of the cache (bob@REALM), no --username, no password`, async () => {
      await kdc.kinit(`bob@${kdc.realm}`, "B0b-krb-pw");
      const before = emu.requests.length;
      const r = await run(auth);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "KRBHOST\r\n");
      const users = new Set(emu.requests.slice(before).flatMap((e) => (e.user !== undefined ? [e.user] : [])));
      assert.deepEqual([...users], [`bob@${kdc.realm}`]);
      const scheme = emu.requests.slice(before).find((e) => e.authScheme !== undefined)?.authScheme;
      assert.equal(scheme, auth === "kerberos" ? "Kerberos" : "Negotiate");
    });
  }
});
