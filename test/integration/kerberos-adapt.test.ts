/**
 * What a client learns about Kerberos and keeps for its later connections, against the emulated host and a throwaway
 * MIT KDC (test/peers/kdc.ts):
 * - Negotiate remembers (per client, for a bounded time) that Kerberos could not start, so a new connection goes
 *   straight to NTLM instead of asking an unreachable KDC again (Windows' Negotiate package caches this too). The
 *   unreachable KDC is a TCP listener that counts connections and hangs up, named for its own realm in an extra
 *   krb5.conf (MIT krb5 merges the files of a colon-separated KRB5_CONFIG).
 * - Forced `kerberos` against a host that lists only `Negotiate` (no `WWW-Authenticate: Kerberos`): one restart on
 *   the same connection with the krb5 token in SPNEGO (MS-WSMV 2.2.9.1.1), kept for the client's later connections;
 *   never a loop.
 * Skips only when the KDC packages are missing (scripts/setup.sh installs them).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";

import { WinRMClient } from "../../provider/src/client.js";
import type { ConnectionInput } from "../../provider/src/connection.js";
import { AuthenticationError } from "../../provider/src/errors.js";
import type { AuthMechanism, MessageSealer, StepInput } from "../../provider/src/auth/mechanism.js";
import { KerberosAvailability, NegotiateMechanism } from "../../provider/src/auth/negotiate.js";
import type { PathEvent } from "../../provider/src/transport/pathEvents.js";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import { TestProxy } from "./proxyCoreHarness.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { type Kdc, kdcMissing, startKdc } from "../peers/kdc.js";

const DEAD_REALM = "DEAD.TEST";
const DEAD_USER = `${DEAD_REALM}\\alice`;
const DEAD_PASSWORD = "Al1ce-NTLM-pw";
const SPNEGO_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted";
const KERBEROS_PROTOCOL = "application/HTTP-Kerberos-session-encrypted";

describe("Kerberos choices a client keeps across its connections", { skip: kdcMissing() }, () => {
  let kdc: Kdc;
  let restoreEnv: () => void = () => undefined;
  let deadKdc: Server;
  let deadKdcConnections = 0;
  let emu: WinRMEmulator;
  let emuTls: WinRMEmulator;
  /** Offers only Negotiate; its keytab has HTTP/localhost only. */
  let emuNeg: WinRMEmulator;
  let emuNegTls: WinRMEmulator;
  let user = { principal: "", password: "" };
  const clients: WinRMClient[] = [];

  const host = () => new EmulatedHost({ profile: "win2019", locale: "en-US", computerName: "WINRM" });

  before(async () => {
    kdc = await startKdc({ users: [{ name: "user", password: "UserPass1!" }] });
    const u = kdc.users[0];
    assert.ok(u);
    user = { principal: u.principal, password: u.password };
    // A KDC that accepts TCP and hangs up at once: "unreachable" for krb5, and every attempt is counted here.
    deadKdc = createServer((socket) => {
      deadKdcConnections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => deadKdc.listen(0, "127.0.0.1", resolve));
    const address = deadKdc.address();
    assert.ok(address !== null && typeof address === "object");
    const extra = join(kdc.dir, "dead-realm.conf");
    writeFileSync(extra, `[realms]\n    ${DEAD_REALM} = {\n        kdc = 127.0.0.1:${address.port}\n    }\n`);
    const restoreKdc = kdc.applyToProcess();
    const previousConfig = process.env.KRB5_CONFIG;
    process.env.KRB5_CONFIG = `${kdc.krb5Conf}:${extra}`;
    restoreEnv = () => {
      process.env.KRB5_CONFIG = previousConfig;
      restoreKdc();
    };
    const users = [{ username: DEAD_USER, password: DEAD_PASSWORD }];
    emu = await WinRMEmulator.start({ host: host(), users, keytab: kdc.keytab });
    emuTls = await WinRMEmulator.start({ host: host(), users, keytab: kdc.keytab, tls: true, cbtHardening: "Strict" });
    const localhostOnly = await kdc.exportKeytab([`HTTP/localhost@${kdc.realm}`], "localhost-only.keytab");
    emuNeg = await WinRMEmulator.start({ host: host(), users, keytab: localhostOnly, offerKerberosScheme: false });
    emuNegTls = await WinRMEmulator.start({
      host: host(),
      users,
      keytab: localhostOnly,
      offerKerberosScheme: false,
      tls: true,
      cbtHardening: "Strict",
    });
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await emu?.close();
    await emuTls?.close();
    await emuNeg?.close();
    await emuNegTls?.close();
    await new Promise<void>((resolve) => (deadKdc ? deadKdc.close(() => resolve()) : resolve()));
    restoreEnv();
    await kdc?.stop();
  });

  function client(auth: ConnectionInput["auth"], target: WinRMEmulator): { c: WinRMClient; events: PathEvent[] } {
    const events: PathEvent[] = [];
    const tls = target.caPem !== undefined ? { tls: { ca: target.caPem, serverName: "localhost" } } : {};
    const c = new WinRMClient({ endpoint: target.url, auth, ...tls }, { observer: (e) => events.push(e) });
    clients.push(c);
    return { c, events };
  }

  const targetAuths = (events: PathEvent[]) =>
    events.flatMap((e) => (e.type === "target-auth" ? [e] : []));

  async function runHostname(c: WinRMClient): Promise<void> {
    const r = await c.run("hostname");
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), "WINRM");
  }

  describe("Negotiate remembers that Kerberos is unavailable", () => {
    for (const tls of [false, true]) {
      test(`an unreachable KDC is asked once for two connections of one client (${tls ? "https" : "http"})`, async () => {
        const target = tls ? emuTls : emu;
        const { c, events } = client(
          { mechanism: "negotiate", username: DEAD_USER, password: DEAD_PASSWORD, spn: "HTTP/localhost" },
          target,
        );
        const before = deadKdcConnections;
        await runHostname(c);
        const afterFirst = deadKdcConnections;
        assert.ok(afterFirst > before, "the first connection tried the KDC");
        target.dropConnections();
        await runHostname(c);
        assert.equal(c.stats.handshakes, 2, "two connections, two handshakes");
        assert.equal(deadKdcConnections, afterFirst, "the second connection did not ask the KDC again");

        const [first, second] = targetAuths(events);
        assert.ok(first !== undefined && second !== undefined);
        for (const ta of [first, second]) {
          assert.equal(ta.mechanism, "ntlm");
          assert.equal(ta.negotiated?.chose, "ntlm");
          assert.match(ta.negotiated?.reason ?? "", /no KDC could be reached/);
        }
        assert.doesNotMatch(first.negotiated?.reason ?? "", /remembered/);
        assert.match(second.negotiated?.reason ?? "", /remembered from an earlier connection/);
        // Over https the first context had to open the connection for Kerberos' channel bindings (the anonymous
        // request); the second goes straight to NTLM's two legs.
        assert.equal(first.legs, tls ? 3 : 2);
        assert.equal(second.legs, 2);
      });
    }

    test("proxy.auth negotiate: two tunnels of one client ask an unreachable KDC once (the memory outlives a CONNECT)", async () => {
      // The proxy's mechanism is made per CONNECT; its Negotiate memory is kept per client and proxy configuration.
      const proxy = await TestProxy.start({
        auth: { scheme: "ntlm", users: [{ domain: DEAD_REALM, user: "alice", password: DEAD_PASSWORD }], offer: ["Negotiate", "NTLM"] },
      });
      try {
        const events: PathEvent[] = [];
        const c = new WinRMClient(
          {
            endpoint: emuTls.url,
            // NTLM to the host: only the proxy's Negotiate may ask the KDC.
            auth: { mechanism: "ntlm", username: DEAD_USER, password: DEAD_PASSWORD },
            tls: { ca: emuTls.caPem, serverName: "localhost" },
            // An explicit SPN: the proxy is reached by IP address, which would skip Kerberos without asking the KDC.
            proxy: { url: proxy.url, auth: "negotiate", username: DEAD_USER, password: DEAD_PASSWORD, spn: "HTTP/proxy.dead.test" },
          },
          { observer: (e) => events.push(e) },
        );
        clients.push(c);
        const before = deadKdcConnections;
        await runHostname(c);
        const afterFirst = deadKdcConnections;
        assert.ok(afterFirst > before, "the first tunnel's Negotiate tried the KDC");
        // The host drops the connection, so the next request needs a new tunnel. A Get is idempotent: resent on the new
        // tunnel even if it was first written into the old one before the proxy passed the close on.
        emuTls.dropConnections();
        const cfg = await c.getConfig("winrm/config/service");
        assert.ok(Object.keys(cfg).length > 0);
        assert.equal(c.stats.handshakes, 2, "two connections, two handshakes");
        assert.equal(deadKdcConnections, afterFirst, "the second tunnel did not ask the KDC again");
        const connects = events.flatMap((e) => (e.type === "connect" ? [e] : []));
        assert.deepEqual(
          connects.map((e) => [e.status, e.proxyAuth]),
          [
            [200, "NTLM"],
            [200, "NTLM"],
          ],
          "two tunnels, each authenticated with NTLM after Kerberos was found unavailable",
        );
        assert.equal(proxy.log.filter((e) => e.method === "CONNECT" && e.status === 200).length, 2);

        // Another client through the same proxy settings (a new configuration object) asks the KDC again.
        const other = new WinRMClient({
          endpoint: emuTls.url,
          auth: { mechanism: "ntlm", username: DEAD_USER, password: DEAD_PASSWORD },
          tls: { ca: emuTls.caPem, serverName: "localhost" },
          proxy: { url: proxy.url, auth: "negotiate", username: DEAD_USER, password: DEAD_PASSWORD, spn: "HTTP/proxy.dead.test" },
        });
        clients.push(other);
        await runHostname(other);
        assert.ok(deadKdcConnections > afterFirst, "the memory is per client");
      } finally {
        for (const c of clients.splice(0)) await c.close().catch(() => undefined);
        await proxy.close();
      }
    });

    test("another client asks the KDC again: the memory is per client", async () => {
      const auth = { mechanism: "negotiate", username: DEAD_USER, password: DEAD_PASSWORD, spn: "HTTP/localhost" } as const;
      const a = client(auth, emu);
      await runHostname(a.c);
      const afterA = deadKdcConnections;
      const b = client(auth, emu);
      await runHostname(b.c);
      assert.ok(deadKdcConnections > afterA);
    });
  });

  describe("NegotiateMechanism's memory, with an injected Kerberos prototype and clock", () => {
    /** A Kerberos stand-in that counts its attempts and fails (or succeeds) as told. */
    function countingKerberos(fail: () => Error | undefined): { proto: AuthMechanism; attempts: () => number } {
      let attempts = 0;
      const make = (): AuthMechanism => ({
        name: "kerberos",
        scheme: "Negotiate",
        complete: false,
        stage: "AP-REQ",
        canSeal: true,
        step(_input: StepInput): Promise<Uint8Array | undefined> {
          attempts++;
          const err = fail();
          return err !== undefined ? Promise.reject(err) : Promise.resolve(Buffer.from("AP-REQ"));
        },
        sealer(): MessageSealer {
          throw new Error("not used");
        },
        fresh: () => make(),
      });
      return { proto: make(), attempts: () => attempts };
    }
    const ntlmStub = (): AuthMechanism => ({
      name: "ntlm",
      scheme: "Negotiate",
      complete: false,
      stage: "NEGOTIATE",
      canSeal: true,
      step: () => Promise.resolve(Buffer.from("NTLMSSP\0")),
      sealer(): MessageSealer {
        throw new Error("not used");
      },
      fresh: () => ntlmStub(),
    });
    const kdcError = (text: string) =>
      new AuthenticationError("kerberos", "AS-REQ", `could not get a Kerberos ticket: ${text}`, { cause: new Error(text) });
    const first = { token: undefined, channelBindings: undefined };

    test("remembered for the TTL of the injected clock, then Kerberos is tried again; a success forgets", async () => {
      let now = 1_000_000;
      let failing = true;
      const krb = countingKerberos(() => (failing ? kdcError("Cannot contact any KDC for realm 'DEAD.TEST'") : undefined));
      const proto = new NegotiateMechanism({
        kerberos: krb.proto,
        ntlm: ntlmStub,
        availability: new KerberosAvailability({ ttlMs: 5 * 60_000, now: () => now }),
      });
      const connect = async () => {
        const ctx = proto.fresh();
        await ctx.step(first);
        return ctx;
      };
      assert.equal((await connect()).negotiated?.chose, "ntlm");
      assert.equal(krb.attempts(), 1);
      now += 5 * 60_000 - 1;
      const second = await connect();
      assert.equal(second.negotiated?.chose, "ntlm");
      assert.match(second.negotiated?.reason ?? "", /no KDC could be reached \(remembered/);
      assert.equal(second.bindsChannelInFirstToken, false, "no Kerberos first token: no anonymous request for bindings");
      assert.equal(krb.attempts(), 1, "within the TTL: no new attempt");
      now += 1;
      failing = false;
      assert.equal((await connect()).negotiated?.chose, "kerberos", "after the TTL Kerberos is tried again");
      assert.equal(krb.attempts(), 2);
      failing = true;
      assert.equal((await connect()).negotiated?.chose, "ntlm");
      assert.equal(krb.attempts(), 3, "after a success the next failure is a real attempt again");
    });

    test("a failure that is not 'Kerberos unavailable' is thrown and never remembered", async () => {
      const krb = countingKerberos(() => kdcError("Preauthentication failed"));
      const proto = new NegotiateMechanism({ kerberos: krb.proto, ntlm: ntlmStub, availability: new KerberosAvailability({ now: () => 0 }) });
      for (let i = 1; i <= 2; i++) {
        await assert.rejects(proto.fresh().step(first), /Preauthentication failed/);
        assert.equal(krb.attempts(), i, "every connection tries Kerberos: nothing was remembered");
      }
    });

    test("without an NTLM fallback nothing is remembered (a kinit may fix it; skipping would only fail)", async () => {
      const krb = countingKerberos(() => kdcError("No Kerberos credentials available"));
      const proto = new NegotiateMechanism({ kerberos: krb.proto, ntlm: undefined, availability: new KerberosAvailability({ now: () => 0 }) });
      for (let i = 1; i <= 2; i++) {
        await assert.rejects(proto.fresh().step(first), /NTLM needs a password/);
        assert.equal(krb.attempts(), i);
      }
    });
  });

  describe("forced kerberos adapts to a host that offers only Negotiate", () => {
    const forced = (spn = "HTTP/localhost") =>
      ({ mechanism: "kerberos", username: user.principal, password: user.password, spn }) as const;

    test("a host offering Kerberos gets the Kerberos scheme in one request", async () => {
      const from = emu.requests.length;
      const { c, events } = client(forced(), emu);
      await runHostname(c);
      const handshake = emu.requests.slice(from).filter((r) => r.authScheme !== undefined);
      assert.deepEqual(handshake.map((r) => [r.authScheme, r.status]), [["Kerberos", 200]]);
      const [ta] = targetAuths(events);
      assert.equal(ta?.scheme, "Kerberos");
      const enc = events.find((e) => e.type === "encryption");
      assert.equal(enc?.type === "encryption" && enc.protocol, KERBEROS_PROTOCOL);
    });

    test("http://: one extra request, then SPNEGO with krb5 only; later connections start with Negotiate", async () => {
      const from = emuNeg.requests.length;
      const { c, events } = client(forced(), emuNeg);
      await runHostname(c);
      emuNeg.dropConnections();
      await runHostname(c);
      const log = emuNeg.requests.slice(from);
      const handshake = log.filter((r) => r.authScheme !== undefined);
      assert.deepEqual(
        handshake.map((r) => [r.authScheme, r.status]),
        [
          ["Kerberos", 401],
          ["Negotiate", 200],
          ["Negotiate", 200],
        ],
        "one extra request on the first connection, none on the second",
      );
      // http.sys answers a scheme it does not offer with a 401 and "Connection: close", so the SPNEGO restart comes on a
      // new connection, where it is the whole handshake (one request), not thrown away and done again.
      assert.notEqual(handshake[0]?.connection, handshake[1]?.connection, "the host closed after its 401");
      assert.notEqual(handshake[1]?.connection, handshake[2]?.connection);
      for (const r of handshake.slice(1)) assert.match(r.note ?? "", /Kerberos authenticated \(SPNEGO\)/, "Kerberos, not NTLM");
      // (After dropConnections the first message, sealed with the dead connection's context, gets a 401 on the new
      // one and is resent after the handshake: only the answered ones count here.)
      const messages = log.filter((r) => r.bodyBytes > 0 && r.status === 200);
      assert.ok(messages.length >= 6, `two runs on a kept shell: at least 6 sealed messages, saw ${messages.length}`);
      for (const m of messages) {
        assert.equal(m.encrypted, true);
        assert.equal(m.user, user.principal);
      }
      const tas = targetAuths(events);
      assert.deepEqual(
        tas.map((t) => [t.mechanism, t.scheme, t.legs]),
        [
          ["kerberos", "Negotiate", 2],
          ["kerberos", "Negotiate", 1],
        ],
      );
      const enc = events.find((e) => e.type === "encryption");
      assert.equal(enc?.type === "encryption" && enc.protocol, SPNEGO_PROTOCOL);
      assert.equal(c.stats.handshakes, 2);
    });

    test("https://: the anonymous 401 already lists the schemes, so the first token goes under Negotiate", async () => {
      const from = emuNegTls.requests.length;
      const { c, events } = client(forced(), emuNegTls);
      await runHostname(c);
      const log = emuNegTls.requests.slice(from);
      assert.deepEqual(
        log.slice(0, 2).map((r) => [r.authScheme, r.status]),
        [
          [undefined, 401],
          ["Negotiate", 200],
        ],
      );
      assert.ok(!log.some((r) => r.authScheme === "Kerberos"), "the Kerberos scheme was never sent");
      const [ta] = targetAuths(events);
      assert.deepEqual([ta?.mechanism, ta?.scheme, ta?.legs], ["kerberos", "Negotiate", 2]);
    });

    test("no loop: a Negotiate-only host that refuses the SPNEGO token too fails after two requests", async () => {
      // The KDC knows HTTP/winrm.example.test, but this host's keytab does not: it cannot accept the AP-REQ.
      const from = emuNeg.requests.length;
      const { c } = client(forced("HTTP/winrm.example.test"), emuNeg);
      await assert.rejects(c.run("hostname"), (e: unknown) => {
        assert.ok(e instanceof AuthenticationError, String(e));
        assert.equal(e.httpStatus, 401);
        return true;
      });
      const log = emuNeg.requests.slice(from);
      assert.deepEqual(
        log.map((r) => [r.authScheme, r.status]),
        [
          ["Kerberos", 401],
          ["Negotiate", 401],
        ],
      );
    });

    test("no adaptation when the host offers neither scheme: one request, and the error names what it offers", async () => {
      const h = host();
      h.config.set("winrm/config/service/auth", { Kerberos: "false", Negotiate: "false", Basic: "true" });
      const basicOnly = await WinRMEmulator.start({ host: h, users: [{ username: DEAD_USER, password: DEAD_PASSWORD }], keytab: kdc.keytab });
      try {
        const { c } = client(forced(), basicOnly);
        await assert.rejects(c.run("hostname"), (e: unknown) => {
          assert.ok(e instanceof AuthenticationError, String(e));
          assert.match(e.message, /does not offer Kerberos \(it offers: Basic\)/);
          return true;
        });
        assert.deepEqual(basicOnly.requests.map((r) => [r.authScheme, r.status]), [["Kerberos", 401]]);
      } finally {
        await basicOnly.close();
      }
    });
  });
});
