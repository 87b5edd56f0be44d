/**
 * CredSSP with Kerberos inside (MS-CSSP 3.1.5: the SPNEGO exchange in TSRequest.negoTokens negotiates Kerberos or
 * NTLM), our client against the emulated host over HTTPS, with a throwaway MIT KDC (test/peers/kdc.ts):
 * - a command runs with credssp and Kerberos inside; the host saw the Kerberos principal; the path event and the CLI's
 *   probe say Kerberos and why;
 * - a user whose realm has no KDC: NTLM inside, and the reason;
 * - a wrong password: the KDC refuses it, CredSSPLogonError, no NTLM fallback, nothing authenticated;
 * - the handshake alone (client and the host's acceptor, no HTTP): nothing of the password in the records, and the
 *   host refuses delegated credentials that are not the Kerberos principal's;
 * - the Kerberos wrap tokens checked by an independent implementation (python3-gssapi, test/peers/gss_krb_peer.py):
 *   its plain gss_wrap tokens (RRC 0, as pyspnego's CredSSP sends pubKeyAuth) unwrap with our inner context, and
 *   our tokens unwrap with its gss_unwrap.
 * Skips only when the KDC packages are missing (scripts/setup.sh installs them).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { WinRMClient } from "../../provider/src/client.js";
import type { ConnectionInput } from "../../provider/src/connection.js";
import { CredSSPLogonError, CredSSPMechanism } from "../../provider/src/auth/credssp.js";
import { innerUnwrap, innerWrap } from "../../provider/src/auth/credsspInner.js";
import { KerberosMechanism } from "../../provider/src/auth/kerberos/kerberosMechanism.js";
import type { PathEvent } from "../../provider/src/transport/pathEvents.js";
import type { ProbeReport } from "../../provider/src/cli/probe.js";
import { CredSSPAcceptor, EmulatedHost, generateTlsMaterial, WinRMEmulator } from "../../provider/src/testing/index.js";
import { runCli } from "./cliHarness.js";
import { type Kdc, kdcMissing, startKdc } from "../peers/kdc.js";
import { b64, KrbPeer, pythonGssapiMissing, unb64 } from "../peers/krbPeer.js";

/** An account of the host only (its domain WIN-KRB is no Kerberos realm anyone serves). */
const NTLM_USER = "WIN-KRB\\alice";
const NTLM_PASSWORD = "Al1ce-NTLM-pw";
const KRB_PASSWORD = "UserPass1!";
const OTHER_PASSWORD = "0ther-Pass1!";

describe("CredSSP with Kerberos inside, against the emulated host and a throwaway KDC", { skip: kdcMissing() }, () => {
  let kdc: Kdc;
  let restoreEnv: () => void = () => undefined;
  let emu: WinRMEmulator;
  let krbUser = "";
  let principal = "";
  let caDir = "";
  const clients: WinRMClient[] = [];

  before(async () => {
    kdc = await startKdc({
      users: [
        { name: "user", password: KRB_PASSWORD },
        { name: "other", password: OTHER_PASSWORD },
      ],
    });
    // In-process: the client and the emulator both read KRB5_CONFIG.
    restoreEnv = kdc.applyToProcess();
    principal = kdc.users[0]!.principal;
    krbUser = `${kdc.realm}\\user`;
    const host = new EmulatedHost({ profile: "win2019", locale: "en-US", computerName: "WINRM" });
    host.config.set("winrm/config/service/auth", { CredSSP: "true" });
    emu = await WinRMEmulator.start({
      host,
      // The KDC's user is also an account of the host (domain = the realm): CredSSP delegates its password.
      users: [
        { username: krbUser, password: KRB_PASSWORD },
        { username: NTLM_USER, password: NTLM_PASSWORD },
      ],
      keytab: kdc.keytab,
      tls: true,
    });
    caDir = mkdtempSync(join(tmpdir(), "credssp-krb-"));
    writeFileSync(join(caDir, "ca.pem"), emu.caPem!);
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await emu?.close();
    restoreEnv();
    await kdc?.stop();
    if (caDir !== "") rmSync(caDir, { recursive: true, force: true });
  });

  function client(username: string, password: string): { c: WinRMClient; events: PathEvent[] } {
    const events: PathEvent[] = [];
    const connection: ConnectionInput = {
      endpoint: emu.url,
      // The endpoint is 127.0.0.1: the SPN names the host the keytab serves.
      auth: { mechanism: "credssp", username, password, delegate: true, spn: "HTTP/localhost" },
      tls: { ca: emu.caPem!, serverName: "localhost" },
    };
    const c = new WinRMClient(connection, { observer: (e) => events.push(e) });
    clients.push(c);
    return { c, events };
  }

  const targetAuth = (events: PathEvent[]) => events.find((e) => e.type === "target-auth");

  test("a command runs with credssp and Kerberos inside; the host saw the Kerberos principal", async () => {
    const from = emu.requests.length;
    const { c, events } = client(krbUser, KRB_PASSWORD);
    const r = await c.run("echo delegated");
    assert.equal(r.stdout, "delegated\r\n");
    const ta = targetAuth(events);
    assert.ok(ta?.type === "target-auth");
    assert.equal(ta.mechanism, "credssp");
    assert.equal(ta.scheme, "CredSSP");
    assert.equal(ta.negotiated?.chose, "kerberos");
    assert.match(ta.negotiated?.reason ?? "", /service ticket was obtained/);
    // ClientHello; key exchange; AP-REQ (AP-REP back); pubKeyAuth; authInfo.
    assert.equal(ta.legs, 5);
    const log = emu.requests.slice(from);
    assert.ok(log.some((e) => e.authScheme === "CredSSP"));
    // NTLM would have authenticated REALM\user; Kerberos authenticates the principal.
    assert.equal(log.find((e) => e.user !== undefined)?.user, principal);
    assert.ok(log.some((e) => e.action?.endsWith("/Command")));
  });

  test("probe says Kerberos inside CredSSP, and why", async () => {
    const r = await runCli(
      [
        "probe",
        "--endpoint",
        emu.url,
        "--json",
        "--auth",
        "credssp",
        "--delegate",
        "--username",
        krbUser,
        "--password-env",
        "KRB_PW",
        "--spn",
        "HTTP/localhost",
        "--ca",
        join(caDir, "ca.pem"),
        "--server-name",
        "localhost",
      ],
      { env: { KRB_PW: KRB_PASSWORD } },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as ProbeReport;
    const line = report.steps.find((st) => st.step === "target auth")?.detail ?? "";
    assert.match(line, /^credssp \(CredSSP\) succeeded in \d+ request\(s\); CredSSP's inner SPNEGO chose Kerberos: /);
    assert.ok(!r.stdout.includes(KRB_PASSWORD) && !r.stderr.includes(KRB_PASSWORD));
  });

  test("no KDC for the user's realm: NTLM inside, with the reason", async () => {
    const from = emu.requests.length;
    const { c, events } = client(NTLM_USER, NTLM_PASSWORD);
    assert.equal((await c.run("echo ntlm")).stdout, "ntlm\r\n");
    const ta = targetAuth(events);
    assert.ok(ta?.type === "target-auth");
    assert.equal(ta.mechanism, "credssp");
    assert.equal(ta.negotiated?.chose, "ntlm");
    assert.match(ta.negotiated?.reason ?? "", /no KDC could be reached/);
    assert.equal(emu.requests.slice(from).find((e) => e.user !== undefined)?.user, NTLM_USER);
  });

  test("a wrong password: the KDC refuses it, CredSSPLogonError, no NTLM fallback, nothing runs", async () => {
    const from = emu.requests.length;
    const wrong = "Wr0ng-Kerberos-pw";
    const { c } = client(krbUser, wrong);
    await assert.rejects(c.run("echo no"), (e: unknown) => {
      assert.ok(e instanceof CredSSPLogonError, String(e));
      assert.equal(e.reason, "logon-failure");
      assert.match(e.message, /inner Kerberos logon failed/);
      assert.match(e.message, /Preauthentication failed|Password incorrect/i);
      assert.ok(!e.message.includes(wrong));
      return true;
    });
    const log = emu.requests.slice(from);
    assert.ok(!log.some((e) => e.user !== undefined), "nobody was authenticated");
    assert.ok(!log.some((e) => e.action !== undefined), "no SOAP request reached the host");
  });

  describe("the handshake alone: the client and the host's acceptor", () => {
    const opened: Array<{ dispose(): void }> = [];
    after(() => opened.forEach((o) => o.dispose()));

    async function handshake(inner?: KerberosMechanism): Promise<{ acceptor: CredSSPAcceptor; wire: Buffer[]; failed?: string }> {
      const material = await generateTlsMaterial();
      const acceptor = new CredSSPAcceptor({
        ntlm: {
          users: [{ domain: kdc.realm, user: "user", password: KRB_PASSWORD }],
          netbiosDomain: "WIN",
          netbiosComputer: "WIN",
          dnsComputer: "win",
          dnsDomain: "win",
        },
        keytab: kdc.keytab,
        certPem: material.certPem,
        keyPem: material.keyPem,
      });
      const c = new CredSSPMechanism({
        credentials: { username: krbUser, password: KRB_PASSWORD },
        inner: inner ?? new KerberosMechanism({ credentials: { username: krbUser, password: KRB_PASSWORD }, spn: "HTTP/localhost", scheme: "Negotiate" }),
      });
      opened.push(acceptor, c);
      const wire: Buffer[] = [];
      let token: Uint8Array | undefined;
      for (let leg = 1; leg <= 8; leg++) {
        const out = await c.step({ token, channelBindings: undefined });
        assert.ok(out && out.length > 0, `a token on leg ${leg}`);
        wire.push(Buffer.from(out));
        const r = await acceptor.step(out);
        if (r.token) wire.push(r.token);
        if (r.failed !== undefined) return { acceptor, wire, failed: r.failed };
        if (r.complete) {
          assert.equal(c.complete, true);
          assert.equal(leg, 5);
          return { acceptor, wire };
        }
        token = r.token;
      }
      assert.fail("no completion in 8 legs");
    }

    test("completes in 5 legs with Kerberos inside; the records carry nothing of the password", async () => {
      const { acceptor, wire, failed } = await handshake();
      assert.equal(failed, undefined);
      assert.equal(acceptor.user, principal);
      const all = Buffer.concat(wire);
      for (const form of [Buffer.from(KRB_PASSWORD, "utf16le"), Buffer.from(KRB_PASSWORD, "latin1")]) assert.equal(all.indexOf(form), -1);
    });

    test("the host takes a raw krb5 AP-REQ inside as well as SPNEGO", async () => {
      const raw = new KerberosMechanism({ credentials: { username: krbUser, password: KRB_PASSWORD }, spn: "HTTP/localhost", scheme: "Kerberos" });
      const { acceptor, failed } = await handshake(raw);
      assert.equal(failed, undefined);
      assert.equal(acceptor.user, principal);
    });

    test("the host refuses delegated credentials that are not those of the Kerberos principal", async () => {
      // Kerberos logs on as "other", TSCredentials name "user" (a valid account of the host).
      const other = kdc.users[1]!;
      const inner = new KerberosMechanism({ credentials: { username: other.principal, password: OTHER_PASSWORD }, spn: "HTTP/localhost", scheme: "Negotiate" });
      const { acceptor, failed } = await handshake(inner);
      assert.match(failed ?? "", /not those of the Kerberos principal/);
      assert.equal(acceptor.user, undefined);
    });
  });

  describe("the Kerberos wrap tokens, checked by python3-gssapi", { skip: pythonGssapiMissing() }, () => {
    const peers: KrbPeer[] = [];
    after(() => {
      for (const p of peers) p.close();
    });

    test("its gss_wrap (RRC 0) tokens unwrap with our inner context; ours unwrap with its gss_unwrap", async () => {
      const py = new KrbPeer(kdc.env);
      peers.push(py);
      await py.ok({ op: "acceptor" });
      // The inner context as CredSSP makes it: SPNEGO (krb5 only), mutual, no channel bindings.
      const mech = new KerberosMechanism({ credentials: { username: principal, password: KRB_PASSWORD }, spn: "HTTP/localhost", scheme: "Negotiate" });
      const apReq = await mech.step({ token: undefined, channelBindings: undefined });
      const accepted = await py.ok({ op: "step", token: b64(apReq!) });
      assert.equal(accepted.complete, true);
      await mech.step({ token: unb64(accepted.token), channelBindings: undefined });
      assert.equal(mech.complete, true);

      const binding = Buffer.alloc(32, 0x5a);
      const ours = innerWrap(mech, binding);
      assert.equal(ours.readUInt16BE(6), 28, "ours carry RRC 28, as Windows' SSPI writes them");
      const un = await py.ok({ op: "unwrap", data: b64(ours) });
      assert.equal(un.encrypted, true);
      assert.deepEqual(unb64(un.data), binding);

      for (const size of [0, 1, 32, 1000]) {
        const plain = Buffer.alloc(size, size & 0xff);
        const theirs = unb64((await py.ok({ op: "wrap", data: b64(plain) })).data);
        assert.equal(theirs.readUInt16BE(6), 0, "plain gss_wrap writes RRC 0");
        assert.deepEqual(innerUnwrap(mech, theirs), plain);
      }
      // Tampering is caught.
      const theirs = unb64((await py.ok({ op: "wrap", data: b64(Buffer.from("credentials")) })).data);
      theirs[theirs.length - 1]! ^= 1;
      assert.throws(() => innerUnwrap(mech, theirs), (e: unknown) => e instanceof Error && e.name === "DecryptError");
      mech.dispose();
    });
  });
});
