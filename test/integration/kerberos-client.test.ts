/**
 * Kerberos end to end, client against the emulated host, with a throwaway MIT KDC (test/peers/kdc.ts):
 * - raw Kerberos (`Authorization: Kerberos`, application/HTTP-Kerberos-session-encrypted) and Negotiate/SPNEGO
 *   (application/HTTP-SPNEGO-session-encrypted) with WinRM message encryption over http:// (MS-WSMV 2.2.9.1; MS-WSMV 2.2.9.1.2.2);
 * - https:// with channel bindings (RFC 5929 4.1) against CbtHardeningLevel Strict, and the emulator refusing
 *   AP-REQs without / with wrong bindings there;
 * - credentials from a password (acquired in-process) and from the ticket cache (kinit);
 * - a wrong password: AuthenticationError from the KDC's answer, nothing sent to the host, no NTLM fallback;
 * - Negotiate picks Kerberos when it can, NTLM when it cannot (IP address, no KDC for the realm, SPN unknown), and says
 *   which (PathEvent target-auth `negotiated`);
 * - the sealing checked by an independent implementation: python3-gssapi (test/peers/gss_krb_peer.py) as the acceptor
 *   of a context our mechanism establishes, unwrapping what our sealer wraps and wrapping what it unwraps; and as the
 *   initiator against the emulator over HTTP, so the emulator's sealing is checked the same way.
 * Skips only when the KDC packages are missing (scripts/setup.sh installs them).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { request as httpsRequest } from "node:https";
import { Agent, request as httpRequest } from "node:http";

import { WinRMClient } from "../../provider/src/client.js";
import type { ConnectionInput } from "../../provider/src/connection.js";
import { AuthenticationError } from "../../provider/src/errors.js";
import { KerberosMechanism } from "../../provider/src/auth/kerberos/kerberosMechanism.js";
import { loadGssapi } from "../../provider/src/auth/kerberos/gssapi.js";
import { tlsServerEndPointBindings } from "../../provider/src/wire/channelBindings.js";
import { decodeEncryptedBody, encodeEncryptedBody } from "../../provider/src/wire/multipart.js";
import { buildIdentifyRequest, parseIdentifyResponse } from "../../provider/src/wsman/identify.js";
import type { PathEvent } from "../../provider/src/transport/pathEvents.js";
import type { ProbeReport } from "../../provider/src/cli/probe.js";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import { runCli } from "./cliHarness.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { type Kdc, kdcMissing, startKdc } from "../peers/kdc.js";
import { b64, KrbPeer, pythonGssapiMissing, unb64 } from "../peers/krbPeer.js";

const NTLM_USER = "WIN-KRB\\alice";
const NTLM_PASSWORD = "Al1ce-NTLM-pw";
const KERBEROS_PROTOCOL = "application/HTTP-Kerberos-session-encrypted";
const SPNEGO_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted";

describe("Kerberos client against the emulated host and a throwaway KDC", { skip: kdcMissing() }, () => {
  let kdc: Kdc;
  let restoreEnv: () => void = () => undefined;
  let emu: WinRMEmulator;
  let emuTls: WinRMEmulator;
  let emuRelaxed: WinRMEmulator;
  let user = { principal: "", password: "" };
  const clients: WinRMClient[] = [];

  const host = () => new EmulatedHost({ profile: "win2019", locale: "en-US", computerName: "WINRM" });

  before(async () => {
    kdc = await startKdc({ users: [{ name: "user", password: "UserPass1!" }] });
    // In-process: the client and the emulator both read KRB5_CONFIG; KRB5CCNAME is the (empty until kinit) cache.
    restoreEnv = kdc.applyToProcess();
    const u = kdc.users[0];
    assert.ok(u);
    user = { principal: u.principal, password: u.password };
    const users = [
      { username: NTLM_USER, password: NTLM_PASSWORD },
      // The KDC user as an NTLM account too (domain = the realm), for the fallback when only the SPN is unknown.
      { username: `${kdc.realm}\\user`, password: user.password },
    ];
    emu = await WinRMEmulator.start({ host: host(), users, keytab: kdc.keytab });
    emuTls = await WinRMEmulator.start({ host: host(), users, keytab: kdc.keytab, tls: true, cbtHardening: "Strict" });
    emuRelaxed = await WinRMEmulator.start({ host: host(), users, keytab: kdc.keytab, tls: true, cbtHardening: "Relaxed" });
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await emu?.close();
    await emuTls?.close();
    await emuRelaxed?.close();
    restoreEnv();
    await kdc?.stop();
  });

  function client(auth: ConnectionInput["auth"], target: WinRMEmulator = emu): { c: WinRMClient; events: PathEvent[] } {
    const events: PathEvent[] = [];
    const tls = target.caPem !== undefined ? { tls: { ca: target.caPem, serverName: "localhost" } } : {};
    const c = new WinRMClient({ endpoint: target.url, auth, ...tls }, { observer: (e) => events.push(e) });
    clients.push(c);
    return { c, events };
  }

  const targetAuth = (events: PathEvent[]) => events.find((e) => e.type === "target-auth");
  const encryption = (events: PathEvent[]) => events.find((e) => e.type === "encryption");

  /** The requests the emulator logged since `from`. */
  const since = (e: WinRMEmulator, from: number) => e.requests.slice(from);

  async function runHostname(c: WinRMClient): Promise<string> {
    const r = await c.run("hostname");
    assert.equal(r.exitCode, 0, r.stderr);
    return r.stdout.trim();
  }

  test("raw Kerberos over http://: one round trip, every message sealed with the Kerberos protocol string", async () => {
    const from = emu.requests.length;
    const { c, events } = client({ mechanism: "kerberos", username: user.principal, password: user.password, spn: "HTTP/localhost" });
    assert.equal(await runHostname(c), "WINRM");
    const log = since(emu, from);
    const handshake = log.filter((r) => r.authScheme !== undefined);
    assert.equal(handshake.length, 1, "Kerberos takes one request");
    assert.equal(handshake[0]?.authScheme, "Kerberos");
    assert.equal(handshake[0]?.status, 200);
    assert.equal(handshake[0]?.bodyBytes, 0, "the AP-REQ goes on an empty body (Flow A)");
    const messages = log.filter((r) => r.bodyBytes > 0);
    assert.ok(messages.length >= 4, "Create, Command, Receive, Delete");
    for (const m of messages) {
      assert.equal(m.encrypted, true, `${m.action ?? "?"} was sealed`);
      assert.equal(m.user, user.principal);
      assert.equal(m.status, 200);
    }
    assert.deepEqual(targetAuth(events), { type: "target-auth", mechanism: "kerberos", scheme: "Kerberos", legs: 1, ok: true });
    assert.deepEqual(encryption(events), { type: "encryption", sealed: true, protocol: KERBEROS_PROTOCOL, tls: false });
    assert.equal(c.stats.handshakes, 1);
  });

  test("Negotiate with a password: Kerberos in SPNEGO chosen, SPNEGO protocol string, SPN override honoured", async () => {
    const from = emu.requests.length;
    const { c, events } = client({
      mechanism: "negotiate",
      username: user.principal,
      password: user.password,
      spn: "HTTP/winrm.example.test",
    });
    assert.equal(await runHostname(c), "WINRM");
    const id = await c.identify();
    assert.match(id.productVersion, /OS: 10\.0/);
    const log = since(emu, from);
    assert.equal(log.filter((r) => r.authScheme !== undefined).length, 1);
    assert.match(log[0]?.note ?? "", /Kerberos authenticated \(SPNEGO\)/);
    const ta = targetAuth(events);
    assert.equal(ta?.type === "target-auth" && ta.mechanism, "kerberos");
    assert.equal(ta?.type === "target-auth" && ta.scheme, "Negotiate");
    assert.equal(ta?.type === "target-auth" && ta.negotiated?.chose, "kerberos");
    assert.deepEqual(encryption(events), { type: "encryption", sealed: true, protocol: SPNEGO_PROTOCOL, tls: false });
    assert.match(kdc.log(), /TGS_REQ .*HTTP\/winrm\.example\.test@EXAMPLE\.TEST/);
  });

  test("a new connection re-authenticates with a fresh context; the password ticket is reused (one AS exchange)", async () => {
    const asBefore = (kdc.log().match(/AS_REQ .*ISSUE/g) ?? []).length;
    const { c } = client({ mechanism: "kerberos", username: user.principal, password: user.password, spn: "HTTP/localhost" });
    assert.equal(await runHostname(c), "WINRM");
    emu.dropConnections();
    assert.equal(await runHostname(c), "WINRM");
    assert.equal(c.stats.handshakes, 2);
    assert.equal((kdc.log().match(/AS_REQ .*ISSUE/g) ?? []).length, asBefore + 1, "one TGT for both connections");
  });

  test("https:// with channel bindings, CbtHardeningLevel Strict: raw Kerberos and Negotiate", async () => {
    for (const mechanism of ["kerberos", "negotiate"] as const) {
      const from = emuTls.requests.length;
      const { c, events } = client({ mechanism, username: user.principal, password: user.password, spn: "HTTP/localhost" }, emuTls);
      assert.equal(await runHostname(c), "WINRM");
      const tlsEvent = events.find((e) => e.type === "tls");
      assert.equal(tlsEvent?.type === "tls" && tlsEvent.channelBindings, true);
      assert.deepEqual(encryption(events), { type: "encryption", sealed: false, tls: true });
      // The AP-REQ carries the bindings, so the connection is opened first with Flow A's anonymous request.
      const log = since(emuTls, from);
      assert.equal(log[0]?.status, 401);
      assert.equal(log[0]?.authScheme, undefined);
      assert.equal(log[1]?.status, 200);
      assert.equal(log[1]?.authScheme, mechanism === "kerberos" ? "Kerberos" : "Negotiate");
      assert.equal(log[1]?.connection, log[2]?.connection);
      assert.ok(log.slice(1).every((r) => r.status === 200 && !r.encrypted));
      const ta = targetAuth(events);
      assert.equal(ta?.type === "target-auth" && ta.legs, 2);
    }
  });

  test("the emulator refuses an AP-REQ without channel bindings under Strict, and with wrong ones under Relaxed", async () => {
    const g = loadGssapi();
    const cred = await g.acquireCredWithPassword(user.principal, user.password);
    const post = async (e: WinRMEmulator, token: Buffer): Promise<number> =>
      new Promise((resolve, reject) => {
        const url = new URL(e.url);
        const req = httpsRequest(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: "POST",
            ca: e.caPem,
            servername: "localhost",
            headers: { Authorization: `Kerberos ${token.toString("base64")}`, "Content-Length": "0", "Content-Type": "application/soap+xml;charset=UTF-8" },
            agent: false,
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end();
      });
    const apReq = async (cb?: Buffer) =>
      (await g.initSecContext({ target: "HTTP@localhost", cred, ...(cb ? { channelBindings: cb } : {}) })).token;
    assert.equal(await post(emuTls, await apReq()), 401, "Strict: no bindings => refused");
    assert.equal(await post(emuRelaxed, await apReq()), 200, "Relaxed: no bindings => accepted");
    const wrong = Buffer.concat([Buffer.from("tls-server-end-point:"), createHash("sha256").update("another certificate").digest()]);
    assert.equal(await post(emuRelaxed, await apReq(wrong)), 401, "Relaxed: wrong bindings => refused");
    const right = Buffer.from(tlsServerEndPointBindings(emuTls.tlsMaterial?.certDer ?? Buffer.alloc(0)).applicationData);
    assert.equal(await post(emuTls, await apReq(right)), 200, "Strict: right bindings => accepted");
    assert.match(emuTls.requests.at(-2)?.note ?? "", /no channel bindings and CbtHardeningLevel is Strict/);
  });

  test("a wrong password: AuthenticationError from the KDC, nothing sent to the host, no NTLM fallback, no retry", async () => {
    for (const mechanism of ["kerberos", "negotiate"] as const) {
      const from = emu.requests.length;
      const failedBefore = (kdc.log().match(/PREAUTH_FAILED/g) ?? []).length;
      const { c } = client({ mechanism, username: user.principal, password: "Wrong-Passw0rd", spn: "HTTP/localhost" });
      await assert.rejects(c.run("hostname"), (e: unknown) => {
        assert.ok(e instanceof AuthenticationError, String(e));
        assert.match(e.message, /Preauthentication failed/);
        assert.ok(!e.message.includes("Wrong-Passw0rd"));
        return true;
      });
      assert.equal(since(emu, from).length, 0, `${mechanism}: the host saw nothing`);
      assert.equal((kdc.log().match(/PREAUTH_FAILED/g) ?? []).length, failedBefore + 1, "one attempt at the KDC");
    }
  });

  test("Negotiate falls back to NTLM when Kerberos cannot start, and says why", async () => {
    const cases: { auth: ConnectionInput["auth"]; why: RegExp }[] = [
      // An IP address endpoint and no SPN: no service principal names an address.
      { auth: { mechanism: "negotiate", username: NTLM_USER, password: NTLM_PASSWORD }, why: /IP address/ },
      // The user's realm (WIN-KRB) has no KDC.
      { auth: { mechanism: "negotiate", username: NTLM_USER, password: NTLM_PASSWORD, spn: "HTTP/localhost" }, why: /no KDC could be reached/ },
      // The KDC does not know the SPN.
      {
        auth: { mechanism: "negotiate", username: "user", password: user.password, domain: kdc.realm, spn: "HTTP/nohost.example.test" },
        why: /does not know the service principal/,
      },
    ];
    for (const { auth, why } of cases) {
      const from = emu.requests.length;
      const { c, events } = client(auth);
      assert.equal(await runHostname(c), "WINRM");
      const ta = targetAuth(events);
      assert.ok(ta?.type === "target-auth");
      assert.equal(ta.mechanism, "ntlm");
      assert.equal(ta.legs, 2);
      assert.equal(ta.negotiated?.chose, "ntlm");
      assert.match(ta.negotiated?.reason ?? "", why);
      const withBody = since(emu, from).filter((r) => r.bodyBytes > 0);
      assert.ok(withBody.length > 0, "the SOAP requests are in the log");
      assert.ok(withBody.every((r) => r.encrypted));
    }
  });

  test("no ticket in the cache and no password: kerberos fails before sending; negotiate cannot fall back", async () => {
    for (const mechanism of ["kerberos", "negotiate"] as const) {
      const from = emu.requests.length;
      const { c } = client({ mechanism, username: "user", spn: "HTTP/localhost" });
      await assert.rejects(c.run("hostname"), (e: unknown) => {
        assert.ok(e instanceof AuthenticationError, String(e));
        assert.match(e.message, mechanism === "kerberos" ? /No Kerberos credentials available|credentials cache/i : /NTLM needs a password/);
        return true;
      });
      assert.equal(since(emu, from).length, 0);
    }
  });

  test("CLI: --auth kerberos with no --password-env and no ticket fails (255) before sending anything", async () => {
    const from = emu.requests.length;
    const r = await runCli(["exec", "--endpoint", emu.url, "--auth", "kerberos", "--username", "user", "--spn", "HTTP/localhost", "--", "hostname"]);
    assert.equal(r.status, 255, r.stderr);
    assert.match(r.stderr, /WINRM_AUTH_FAILED|Kerberos/);
    assert.equal(since(emu, from).length, 0);
  });

  test("credentials from the ticket cache (kinit), no password given", async () => {
    await kdc.kinit();
    // The CLI the same way: exec --auth kerberos without --password-env.
    const cli = await runCli(["exec", "--endpoint", emu.url, "--auth", "kerberos", "--username", "user", "--spn", "HTTP/localhost", "--", "hostname"]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(cli.stdout.trim(), "WINRM");
    for (const mechanism of ["kerberos", "negotiate"] as const) {
      const from = emu.requests.length;
      const { c, events } = client({ mechanism, username: "user", spn: "HTTP/localhost" });
      assert.equal(await runHostname(c), "WINRM");
      assert.equal(since(emu, from).find((r) => r.user !== undefined)?.user, user.principal);
      const ta = targetAuth(events);
      assert.equal(ta?.type === "target-auth" && ta.mechanism, "kerberos");
    }
  });

  test("CLI: probe --auth negotiate --spn reports that Negotiate chose Kerberos; with an IP and no --spn, NTLM", async () => {
    const base = ["probe", "--endpoint", emu.url, "--json"];
    const krb = await runCli([...base, "--auth", "negotiate", "--username", user.principal, "--password-env", "KRB_PW", "--spn", "HTTP/localhost"], {
      env: { KRB_PW: user.password },
    });
    assert.equal(krb.status, 0, krb.stdout + krb.stderr);
    const report = JSON.parse(krb.stdout) as ProbeReport;
    const line = report.steps.find((st) => st.step === "target auth")?.detail ?? "";
    assert.match(line, /^kerberos \(Negotiate\) succeeded in 1 request\(s\); Negotiate chose Kerberos/);
    assert.ok(!krb.stdout.includes(user.password));

    const ntlm = await runCli(["probe", "--endpoint", emu.url, "--username", NTLM_USER, "--password-env", "NTLM_PW"], { env: { NTLM_PW: NTLM_PASSWORD } });
    assert.equal(ntlm.status, 0, ntlm.stdout + ntlm.stderr);
    assert.match(ntlm.stdout, /target auth +ntlm \(Negotiate\) succeeded in 2 request\(s\); Negotiate chose NTLM: Kerberos was not possible: the host is an IP address/);
  });

  test("a password is required for NTLM and Basic, not for kerberos/negotiate", () => {
    assert.throws(
      () => new WinRMClient({ endpoint: emu.url, auth: { mechanism: "ntlm", username: "u" } }),
      (e: unknown) => e instanceof Error && /auth\.password/.test(e.message),
    );
  });

  describe("sealing checked by python3-gssapi", { skip: pythonGssapiMissing() }, () => {
    const peers: KrbPeer[] = [];
    after(() => {
      for (const p of peers) p.close();
    });

    for (const scheme of ["Kerberos", "Negotiate"] as const) {
      test(`${scheme}: python accepts our mechanism's context, unwraps our sealing and seals what we unwrap`, async () => {
        const py = new KrbPeer(kdc.env);
        peers.push(py);
        await py.ok({ op: "acceptor" });
        const mech = new KerberosMechanism({ credentials: { username: user.principal, password: user.password }, spn: "HTTP/localhost", scheme });
        const apReq = await mech.step({ token: undefined, channelBindings: undefined });
        assert.ok(apReq);
        const accepted = await py.ok({ op: "step", token: b64(apReq) });
        assert.equal(accepted.complete, true);
        assert.equal(accepted.peer, user.principal);
        assert.equal(mech.complete, false, "mutual authentication: waiting for the AP-REP");
        await mech.step({ token: unb64(accepted.token), channelBindings: undefined });
        assert.equal(mech.complete, true);

        const sealer = mech.sealer();
        assert.equal(sealer.protocol, scheme === "Kerberos" ? KERBEROS_PROTOCOL : SPNEGO_PROTOCOL);
        const soap = Buffer.from('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>');
        // Through the multipart framing and back, as the wire carries it (MS-WSMV 2.2.9.1).
        const wire = encodeEncryptedBody(sealer.protocol, sealer.wrap(soap), soap.length);
        const part = decodeEncryptedBody(wire.contentType, wire.body);
        assert.equal(part.header.length, 60, "AES: 60-byte header (MS-WSMV 2.2.9.1.2.2)");
        assert.equal(part.data.length, soap.length);
        assert.equal(part.originalLength, soap.length);
        const un = await py.ok({ op: "unwrap_iov", header: b64(part.header), data: b64(part.data) });
        assert.equal(un.encrypted, true);
        assert.deepEqual(unb64(un.data), soap);

        const reply = Buffer.from("<s:Envelope>WINRM</s:Envelope>");
        const w = await py.ok({ op: "wrap_iov", data: b64(reply) });
        assert.deepEqual(Buffer.from(sealer.unwrap(unb64(w.header), unb64(w.data))), reply);
        // Tampering is caught.
        const w2 = await py.ok({ op: "wrap_iov", data: b64(reply) });
        const bad = unb64(w2.data);
        bad[0] = (bad[0] ?? 0) ^ 1;
        assert.throws(() => sealer.unwrap(unb64(w2.header), bad), (e: unknown) => e instanceof Error && e.name === "DecryptError");
        mech.dispose();
      });
    }

    test("python as the initiator against the emulator over http://: the emulator's sealing both ways", async () => {
      const py = new KrbPeer(kdc.env);
      peers.push(py);
      await py.ok({ op: "initiator", target: "HTTP@localhost", mech: "krb5", user: user.principal, password: user.password });
      const first = await py.ok({ op: "step", token: null });
      const url = new URL(emu.url);
      // One kept-alive connection: the context belongs to it.
      const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
      const post = (headers: Record<string, string>, body: Buffer) =>
        new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
          const req = httpRequest(
            { host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent: keepAlive, headers: { ...headers, "Content-Length": String(body.length) } },
            (res) => {
              const chunks: Buffer[] = [];
              res.on("data", (d: Buffer) => chunks.push(d));
              res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
            },
          );
          req.on("error", reject);
          req.end(body);
        });
      try {
        const r1 = await post({ Authorization: `Kerberos ${first.token ?? ""}`, "Content-Type": "application/soap+xml;charset=UTF-8" }, Buffer.alloc(0));
        assert.equal(r1.status, 200);
        const www = String(r1.headers["www-authenticate"] ?? "");
        assert.match(www, /^Kerberos /, "the AP-REP rides on the 200");
        const done = await py.ok({ op: "step", token: www.slice("Kerberos ".length) });
        assert.equal(done.complete, true);

        const identify = Buffer.from(buildIdentifyRequest());
        const w = await py.ok({ op: "wrap_iov", data: b64(identify) });
        const enc = encodeEncryptedBody(KERBEROS_PROTOCOL, { header: unb64(w.header), data: unb64(w.data) }, identify.length);
        const r2 = await post({ "Content-Type": enc.contentType }, enc.body);
        assert.equal(r2.status, 200);
        const part = decodeEncryptedBody(String(r2.headers["content-type"]), r2.body);
        assert.equal(part.protocol, KERBEROS_PROTOCOL);
        assert.equal(part.header.length, 60);
        const plain = await py.ok({ op: "unwrap_iov", header: b64(part.header), data: b64(part.data) });
        assert.equal(plain.encrypted, true);
        const xml = unb64(plain.data).toString("utf8");
        assert.equal(unb64(plain.data).length, part.originalLength);
        assert.equal(parseIdentifyResponse(xml).productVendor, "Microsoft Corporation");
        assert.equal(emu.requests.at(-1)?.encrypted, true);
        assert.equal(emu.requests.at(-1)?.user, user.principal);
      } finally {
        keepAlive.destroy();
      }
    });
  });
});
