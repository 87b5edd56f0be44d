/**
 * The native GSSAPI addon (native/gssapi.c) against a throwaway MIT KDC on loopback (test/peers/kdc.ts):
 * - password credentials, raw krb5 and SPNEGO handshakes in-process (initiator and acceptor both ours),
 * - WinRM sealing: gss_wrap_iov HEADER | DATA | PADDING gives the 60-byte AES header with the RFC 4121 4.2.6.2 token
 *   (TOK_ID 05 04, flags 06 from the initiator / 07 from the acceptor, EC 0, RRC 28: MS-WSMV 2.2.9.1.2.2), unwrap both
 *   ways, tampering and replays refused,
 * - channel bindings (RFC 5929 application data, RFC 5929 4.1) matched and mismatched,
 * - an independent cross-check with python3-gssapi (test/peers/gss_krb_peer.py) as acceptor of our initiator and as
 *   initiator to our acceptor, sealing both ways.
 * Skips only when the KDC packages are not installed (scripts/setup.sh installs them; then npm builds the addon, and a
 * missing addon fails here).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  type AcceptSecContextResult,
  type ContextHandle,
  type CredHandle,
  GSS_FLAGS,
  type GssapiAddon,
  gssapiAvailable,
  isGssError,
  loadGssapi,
} from "../../provider/src/auth/kerberos/gssapi.js";
import { kdcMissing, type ProcessKdc, startKdcInProcess } from "../peers/kdc.js";
import { b64, KrbPeer, pythonGssapiMissing, unb64 } from "../peers/krbPeer.js";

const KRB5_OID = Buffer.from("06092a864886f712010202", "hex"); // DER OID 1.2.840.113554.1.2.2
const SPNEGO_OID = Buffer.from("06062b0601050502", "hex"); // DER OID 1.3.6.1.5.5.2
const NTLM_OID = Buffer.from("2b06010401823702020a", "hex"); // 1.3.6.1.4.1.311.2.2.10 (content bytes)
const WANTED = GSS_FLAGS.MUTUAL | GSS_FLAGS.REPLAY | GSS_FLAGS.SEQUENCE | GSS_FLAGS.CONF | GSS_FLAGS.INTEG;

const cbOf = (label: string): Buffer =>
  Buffer.concat([Buffer.from("tls-server-end-point:"), createHash("sha256").update(label).digest()]);
const CB_A = cbOf("certificate A");
const CB_B = cbOf("certificate B");

/** RFC 4121 4.2.6.2 wrap token header (first 16 bytes of the WinRM header). */
function tokenHeader(h: Buffer): { tokId: string; flags: number; filler: number; ec: number; rrc: number; seq: bigint } {
  return { tokId: h.subarray(0, 2).toString("hex"), flags: h[2] ?? -1, filler: h[3] ?? -1, ec: h.readUInt16BE(4), rrc: h.readUInt16BE(6), seq: h.readBigUInt64BE(8) };
}

function assertGssError(code: string, text?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isGssError(e), `expected a GssError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (text) assert.match(e.message, text);
    return true;
  };
}

describe("GSSAPI addon (MIT krb5) against a throwaway KDC", { skip: kdcMissing() }, () => {
  let kdc: ProcessKdc;
  let g: GssapiAddon;
  let cred: CredHandle;
  let user = { principal: "", password: "" };

  before(async () => {
    // Before the addon's first krb5 call: MIT reads KRB5_CONFIG / KRB5_KTNAME / KRB5CCNAME from the environment.
    kdc = await startKdcInProcess();
    user = kdc.user;
    g = loadGssapi();
    cred = await g.acquireCredWithPassword(user.principal, user.password);
  });
  after(async () => {
    await kdc?.stop();
  });

  /** Our initiator against our acceptor, to completion. */
  async function handshake(opts: {
    mech: "krb5" | "spnego";
    target?: string;
    cred?: CredHandle | null;
    initCb?: Buffer;
    acceptCb?: Buffer;
    keytab?: string;
  }): Promise<{ init: ContextHandle; acc: ContextHandle; accepted: AcceptSecContextResult; initFlags: number; first: Buffer }> {
    let r = await g.initSecContext({
      target: opts.target ?? "HTTP@localhost",
      mech: opts.mech,
      ...(opts.cred === null ? {} : { cred: opts.cred ?? cred }),
      ...(opts.initCb ? { channelBindings: opts.initCb } : {}),
    });
    const first = r.token;
    let a = g.acceptSecContext({
      input: r.token,
      ...(opts.acceptCb ? { channelBindings: opts.acceptCb } : {}),
      ...(opts.keytab ? { keytab: opts.keytab } : {}),
    });
    for (let i = 0; !(r.complete && a.complete); i++) {
      assert.ok(i < 4, "handshake did not converge");
      if (!r.complete) r = await g.initSecContext({ ctx: r.ctx, input: a.token });
      if (!a.complete && r.token.length > 0) a = g.acceptSecContext({ ctx: a.ctx, input: r.token });
    }
    return { init: r.ctx, acc: a.ctx, accepted: a, initFlags: r.flags, first };
  }

  test("loads, and its flag values are RFC 2744's", () => {
    assert.equal(gssapiAvailable(), true);
    assert.deepEqual({ ...g.flags }, { ...GSS_FLAGS });
  });

  test("a wrong password is refused by the KDC, and the error holds no secret", async () => {
    const wrong = "Wrong-Pass-42";
    await assert.rejects(g.acquireCredWithPassword(user.principal, wrong), (e: unknown) => {
      assert.ok(isGssError(e));
      assert.equal(e.code, "GSS_S_NO_CRED");
      assert.match(e.message, /gss_acquire_cred_with_password failed.*Preauthentication failed/);
      assert.ok(!e.message.includes(wrong) && !e.message.includes(user.password));
      return true;
    });
  });

  test("an unknown user is named in the error", async () => {
    await assert.rejects(g.acquireCredWithPassword(`nobody@${kdc.realm}`, "x"), assertGssError("GSS_S_NO_CRED", /Client 'nobody@EXAMPLE\.TEST' not found in Kerberos database/));
  });

  test("raw krb5: AP-REQ, AP-REP, both sides complete with the requested flags", async () => {
    const { accepted, initFlags, first, init, acc } = await handshake({ mech: "krb5" });
    // RFC 2743 3.1 InitialContextToken: 60 <len> <krb5 OID> then TOK_ID 01 00 (KRB_AP_REQ, RFC 1964 1.1.1).
    assert.equal(first[0], 0x60);
    const oidAt = first.indexOf(KRB5_OID);
    assert.ok(oidAt > 0 && oidAt <= 4);
    assert.equal(first.subarray(oidAt + KRB5_OID.length, oidAt + KRB5_OID.length + 2).toString("hex"), "0100");
    assert.equal(accepted.initiator, user.principal);
    assert.equal(accepted.mech, "krb5");
    assert.equal(accepted.spnego, false);
    assert.ok(accepted.token.length > 0, "mutual authentication needs an AP-REP");
    assert.equal(initFlags & WANTED, WANTED);
    assert.equal(accepted.flags & WANTED, WANTED);
    g.release(init);
    g.release(acc);
  });

  test("SPNEGO (Negotiate): krb5 inside, NTLM never offered, acceptor reports spnego", async () => {
    const { accepted, first } = await handshake({ mech: "spnego" });
    assert.equal(first[0], 0x60);
    assert.ok(first.indexOf(SPNEGO_OID) > 0 && first.indexOf(SPNEGO_OID) <= 4);
    assert.ok(first.includes(KRB5_OID));
    // gss-ntlmssp is installed on this machine (/etc/gss/mech.d): gss_set_neg_mechs keeps it out of the mech list.
    assert.ok(!first.includes(NTLM_OID), "NTLM must not be in the SPNEGO mech list");
    assert.equal(accepted.spnego, true);
    assert.equal(accepted.mech, "krb5");
    assert.equal(accepted.initiator, user.principal);
  });

  test("credentials from the ticket cache (kinit) when no credential is given", async () => {
    await kdc.kinit();
    for (const mech of ["krb5", "spnego"] as const) {
      const { accepted } = await handshake({ mech, cred: null });
      assert.equal(accepted.initiator, user.principal);
    }
  });

  test("an SPN the KDC does not know fails with the KDC's reason", async () => {
    await assert.rejects(
      g.initSecContext({ target: "HTTP@nohost.example.test", cred }),
      assertGssError("GSS_S_FAILURE", /HTTP\/nohost\.example\.test@EXAMPLE\.TEST not found in Kerberos database/),
    );
  });

  test("target as a principal name, acceptor keytab given by path", async () => {
    const only = await kdc.exportKeytab([`HTTP/winrm.example.test@${kdc.realm}`], "winrm-only.keytab");
    const { accepted } = await handshake({ mech: "krb5", target: `HTTP/winrm.example.test@${kdc.realm}`, keytab: only });
    assert.equal(accepted.initiator, user.principal);
    // That keytab has no key for HTTP/localhost.
    const r = await g.initSecContext({ target: "HTTP@localhost", cred });
    assert.throws(() => g.acceptSecContext({ input: r.token, keytab: only }), (e: unknown) => isGssError(e));
  });

  for (const mech of ["krb5", "spnego"] as const) {
    test(`${mech}: wrap_iov gives the 60-byte AES header (EC 0, RRC 28) and unwraps both ways`, async () => {
      const { init, acc } = await handshake({ mech });
      const plain = Buffer.from("<s:Envelope>ipconfig /all</s:Envelope>");
      const copy = Buffer.from(plain);
      const w1 = g.wrapIov(init, plain);
      assert.deepEqual(plain, copy, "the input is not touched");
      assert.equal(w1.header.length, 60);
      assert.equal(w1.data.length, plain.length, "AES-CTS keeps the plaintext length");
      assert.equal(w1.padding.length, 0);
      assert.notDeepEqual(w1.data, plain);
      const t1 = tokenHeader(w1.header);
      // 0x02 Sealed | 0x04 AcceptorSubkey (MIT's acceptor always sends a subkey with mutual auth), not SentByAcceptor.
      assert.deepEqual({ ...t1, seq: 0n }, { tokId: "0504", flags: 0x06, filler: 0xff, ec: 0, rrc: 28, seq: 0n });
      assert.deepEqual(g.unwrapIov(acc, w1.header, w1.data), plain);

      const w2 = g.wrapIov(init, Buffer.from("second"));
      assert.equal(tokenHeader(w2.header).seq, t1.seq + 1n, "SND_SEQ counts up per message");
      assert.equal(g.unwrapIov(acc, w2.header, w2.data).toString(), "second");

      const reply = Buffer.alloc(65536, 0x41);
      const w3 = g.wrapIov(acc, reply);
      const t3 = tokenHeader(w3.header);
      assert.deepEqual({ ...t3, seq: 0n }, { tokId: "0504", flags: 0x07, filler: 0xff, ec: 0, rrc: 28, seq: 0n });
      assert.equal(w3.header.length, 60);
      assert.deepEqual(g.unwrapIov(init, w3.header, w3.data), reply);

      const empty = g.wrapIov(init, Buffer.alloc(0));
      assert.equal(empty.header.length, 60);
      assert.equal(g.unwrapIov(acc, empty.header, empty.data).length, 0);
    });
  }

  test("tampered, replayed and reflected tokens are refused; a good token still passes afterwards", async () => {
    const { init, acc } = await handshake({ mech: "krb5" });
    const w = g.wrapIov(init, Buffer.from("payload that matters"));

    const badData = Buffer.from(w.data);
    badData[3] = (badData[3] ?? 0) ^ 0x01;
    assert.throws(() => g.unwrapIov(acc, w.header, badData), assertGssError("GSS_S_BAD_MIC"));
    const badHeader = Buffer.from(w.header);
    badHeader[40] = (badHeader[40] ?? 0) ^ 0x80; // inside the rotated trailer
    assert.throws(() => g.unwrapIov(acc, badHeader, w.data), assertGssError("GSS_S_BAD_MIC"));
    const badSeq = Buffer.from(w.header);
    badSeq[15] = (badSeq[15] ?? 0) ^ 0x01; // SND_SEQ is covered by the encrypted header copy
    assert.throws(() => g.unwrapIov(acc, badSeq, w.data), (e: unknown) => isGssError(e));
    assert.throws(() => g.unwrapIov(acc, w.header.subarray(0, 59), w.data), (e: unknown) => isGssError(e));
    // Our own token back to us (reflection): wrong direction flag / key usage.
    assert.throws(() => g.unwrapIov(init, w.header, w.data), (e: unknown) => isGssError(e));

    assert.equal(g.unwrapIov(acc, w.header, w.data).toString(), "payload that matters");
    assert.throws(() => g.unwrapIov(acc, w.header, w.data), assertGssError("GSS_S_DUPLICATE_TOKEN"));
  });

  test("channel bindings: matched sets CHANNEL_BOUND; mismatched is refused; one-sided is MIT-tolerant", async () => {
    const matched = await handshake({ mech: "krb5", initCb: CB_A, acceptCb: CB_A });
    assert.ok(matched.accepted.flags & GSS_FLAGS.CHANNEL_BOUND);
    const sp = await handshake({ mech: "spnego", initCb: CB_A, acceptCb: CB_A });
    assert.ok(sp.accepted.flags & GSS_FLAGS.CHANNEL_BOUND);

    for (const mech of ["krb5", "spnego"] as const) {
      const r = await g.initSecContext({ target: "HTTP@localhost", cred, mech, channelBindings: CB_A });
      assert.throws(() => g.acceptSecContext({ input: r.token, channelBindings: CB_B }), assertGssError("GSS_S_BAD_BINDINGS"));
    }

    // MIT accepts an initiator that sent no bindings (and ignores bindings the acceptor did not ask for), without
    // CHANNEL_BOUND: an acceptor enforcing Extended Protection (CbtHardeningLevel Strict) must check that flag.
    const none = await handshake({ mech: "krb5", acceptCb: CB_A });
    assert.equal(none.accepted.flags & GSS_FLAGS.CHANNEL_BOUND, 0);
    const unasked = await handshake({ mech: "krb5", initCb: CB_A });
    assert.equal(unasked.accepted.flags & GSS_FLAGS.CHANNEL_BOUND, 0);
  });

  test("misuse is refused: unfinished, busy, released, wrong role, bad arguments", async () => {
    const r = await g.initSecContext({ target: "HTTP@localhost", cred });
    assert.throws(() => g.wrapIov(r.ctx, Buffer.from("x")), /not complete/);
    const a = g.acceptSecContext({ input: r.token });
    const pending = g.initSecContext({ ctx: r.ctx, input: a.token });
    assert.throws(() => g.wrapIov(r.ctx, Buffer.from("x")), /busy/);
    assert.throws(() => g.release(r.ctx), /busy/);
    const done = await pending;
    assert.equal(done.complete, true);
    assert.throws(() => g.acceptSecContext({ ctx: done.ctx, input: Buffer.alloc(1) }), TypeError);
    await assert.rejects(g.initSecContext({ ctx: a.ctx }), TypeError);
    assert.throws(() => g.wrapIov(cred as unknown as ContextHandle, Buffer.alloc(1)), TypeError);
    assert.throws(() => g.wrapIov(done.ctx, "text" as unknown as Buffer), TypeError);
    await assert.rejects(g.initSecContext({ target: "HTTP@localhost", mech: "ntlm" as "krb5" }), TypeError);
    g.release(done.ctx);
    g.release(done.ctx); // idempotent
    assert.throws(() => g.wrapIov(done.ctx, Buffer.from("x")), /released/);
    assert.throws(() => g.acceptSecContext({ input: Buffer.from("not a token") }), (e: unknown) => isGssError(e));
  });

  test("finalizers release contexts and credentials the program dropped", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    /** Collect until the count of native handles stops moving (Node runs napi finalizers after the GC pass). */
    const settle = async (): Promise<number> => {
      let last = -1;
      for (let i = 0; i < 20; i++) {
        gc();
        await new Promise((r) => setImmediate(r));
        const now = g.liveHandles();
        if (now === last) return now;
        last = now;
      }
      return last;
    };
    const base = await settle();
    // Everything made in here is unreachable once it returns.
    await (async () => {
      const c = await g.acquireCredWithPassword(user.principal, user.password);
      const held: unknown[] = [c];
      for (let i = 0; i < 20; i++) {
        const h = await handshake({ mech: i % 2 === 0 ? "krb5" : "spnego", cred: c });
        held.push(h.init, h.acc);
      }
      assert.equal(g.liveHandles(), base + 41, "1 credential + 40 contexts alive while referenced");
    })();
    assert.equal(await settle(), base);
  });

  test("without the addon, loadGssapi throws a ConfigurationError that says how to build it", () => {
    // The compiled loader and errors.js in a package tree that has no build/: what a machine without libkrb5-dev gets.
    const root = mkdtempSync(join(tmpdir(), "gssapi-missing-"));
    try {
      const here = fileURLToPath(new URL(".", import.meta.url)); // dist/test/integration/
      const dist = join(here, "..", "..");
      mkdirSync(join(root, "dist/provider/src/auth/kerberos"), { recursive: true });
      copyFileSync(join(dist, "provider/src/auth/kerberos/gssapi.js"), join(root, "dist/provider/src/auth/kerberos/gssapi.js"));
      copyFileSync(join(dist, "provider/src/errors.js"), join(root, "dist/provider/src/errors.js"));
      writeFileSync(join(root, "package.json"), JSON.stringify({ type: "module" }));
      const script = `
        const m = await import(${JSON.stringify(join(root, "dist/provider/src/auth/kerberos/gssapi.js"))});
        let out = { available: m.gssapiAvailable() };
        try { m.loadGssapi("auth"); } catch (e) { out = { ...out, name: e.name, code: e.code, field: e.field, message: e.message }; }
        console.log(JSON.stringify(out));`;
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { available: boolean; name?: string; code?: string; field?: string; message?: string };
      assert.equal(out.available, false);
      assert.equal(out.name, "ConfigurationError");
      assert.equal(out.code, "WINRM_CONFIG");
      assert.equal(out.field, "auth");
      assert.match(out.message ?? "", /libkrb5-dev/);
      assert.match(out.message ?? "", /npm rebuild/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  describe("cross-check with python3-gssapi (test/peers/gss_krb_peer.py)", { skip: pythonGssapiMissing() }, () => {
    const peers: KrbPeer[] = [];
    const newPeer = (): KrbPeer => {
      const p = new KrbPeer(kdc.env);
      peers.push(p);
      return p;
    };
    after(() => {
      for (const p of peers) p.close();
    });

    for (const mech of ["krb5", "spnego"] as const) {
      test(`${mech}: python accepts our initiator (with channel bindings); sealing both ways`, async () => {
        const py = newPeer();
        await py.ok({ op: "acceptor", cb: b64(CB_A) });
        let r = await g.initSecContext({ target: "HTTP@localhost", cred, mech, channelBindings: CB_A });
        let p = await py.ok({ op: "step", token: b64(r.token) });
        while (!r.complete) {
          r = await g.initSecContext({ ctx: r.ctx, input: unb64(p.token) });
          if (!p.complete) p = await py.ok({ op: "step", token: b64(r.token) });
        }
        assert.equal(p.complete, true);
        assert.equal(p.peer, user.principal);
        assert.equal(p.mech, "1.2.840.113554.1.2.2");

        const plain = Buffer.from("<s:Envelope>hostname</s:Envelope>");
        const w = g.wrapIov(r.ctx, plain);
        const u = await py.ok({ op: "unwrap_iov", header: b64(w.header), data: b64(w.data) });
        assert.equal(u.encrypted, true);
        assert.deepEqual(unb64(u.data), plain);
        // And MIT's plain gss_unwrap reads the WinRM layout (header || data) too.
        const w2 = g.wrapIov(r.ctx, Buffer.from("again"));
        const u2 = await py.ok({ op: "unwrap", data: b64(Buffer.concat([w2.header, w2.data])) });
        assert.equal(unb64(u2.data).toString(), "again");

        const back = Buffer.from("<s:Envelope>WIN-HOST</s:Envelope>");
        const pw = await py.ok({ op: "wrap_iov", data: b64(back) });
        const header = unb64(pw.header);
        assert.equal(header.length, 60);
        assert.deepEqual({ ...tokenHeader(header), seq: 0n }, { tokId: "0504", flags: 0x07, filler: 0xff, ec: 0, rrc: 28, seq: 0n });
        assert.deepEqual(g.unwrapIov(r.ctx, header, unb64(pw.data)), back);
      });

      test(`${mech}: our acceptor accepts python's initiator (password, channel bindings); sealing both ways`, async () => {
        const py = newPeer();
        await py.ok({ op: "initiator", target: "HTTP@winrm.example.test", mech, cb: b64(CB_B), user: user.principal, password: user.password });
        let p = await py.ok({ op: "step", token: null });
        let a = g.acceptSecContext({ input: unb64(p.token), channelBindings: CB_B });
        while (!(a.complete && p.complete)) {
          if (!p.complete) p = await py.ok({ op: "step", token: b64(a.token) });
          if (!a.complete) a = g.acceptSecContext({ ctx: a.ctx, input: unb64(p.token) });
        }
        assert.equal(a.initiator, user.principal);
        assert.equal(a.spnego, mech === "spnego");
        assert.ok(a.flags & GSS_FLAGS.CHANNEL_BOUND);
        assert.equal(a.flags & WANTED, WANTED);

        const pw = await py.ok({ op: "wrap_iov", data: b64(Buffer.from("request from python")) });
        const header = unb64(pw.header);
        assert.equal(tokenHeader(header).flags, 0x06);
        assert.equal(g.unwrapIov(a.ctx, header, unb64(pw.data)).toString(), "request from python");

        const w = g.wrapIov(a.ctx, Buffer.from("response from node"));
        const u = await py.ok({ op: "unwrap_iov", header: b64(w.header), data: b64(w.data) });
        assert.equal(u.encrypted, true);
        assert.equal(unb64(u.data).toString(), "response from node");
      });
    }
  });
});
