/**
 * Independent cross-check of our NTLM against gss-ntlmssp (the GSSAPI NTLM mechanism used by Samba-less Linux
 * services), driven through /usr/bin/python3 + python3-gssapi by test/peers/gss_ntlm_peer.py:
 * - our NtlmMechanism (initiator) against gss-ntlmssp as acceptor, and
 * - gss-ntlmssp as initiator against our NtlmAcceptor,
 * then sealing both ways (gss_wrap output = 16-byte NTLM signature || sealed data, the MS-WSMV 2.2.9.1.1 layout).
 * Skips only when /usr/bin/python3 cannot import gssapi (CI installs python3-gssapi and gss-ntlmssp).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import type { ChannelBindings } from "../../provider/src/auth/mechanism.js";
import { NtlmMechanism } from "../../provider/src/auth/ntlm.js";
import { AUTHENTICATE_MIC_OFFSET, decodeAuthenticate } from "../../provider/src/wire/ntlm/messages.js";
import { AuthenticationError } from "../../provider/src/errors.js";
import { NtlmAcceptor } from "../../provider/src/testing/index.js";
import { b64, JsonLinesPeer, PYTHON, unb64 } from "../peers/jsonLinesPeer.js";

const PEER = fileURLToPath(new URL("../../../test/peers/gss_ntlm_peer.py", import.meta.url));

function gssapiMissing(): string | false {
  const r = spawnSync(PYTHON, ["-c", "import gssapi"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return `${PYTHON} cannot import gssapi (install python3-gssapi and gss-ntlmssp): ${r.error?.message ?? r.stderr.trim()}`;
  return false;
}

interface PeerResponse {
  ok?: boolean;
  token?: string | null;
  complete?: boolean;
  peer?: string;
  data?: string;
  error?: string;
  type?: string;
}

/** One gss_ntlm_peer.py process: one GSS context, JSON lines over stdio. */
class GssPeer extends JsonLinesPeer<PeerResponse> {
  constructor(env: Record<string, string>) {
    super(PEER, env);
  }
}

const skip = gssapiMissing();

const bindingsOf = (certLabel: string): ChannelBindings => ({
  applicationData: Buffer.concat([Buffer.from("tls-server-end-point:"), createHash("sha256").update(certLabel).digest()]),
});
const CB_A = bindingsOf("certificate A");
const CB_B = bindingsOf("certificate B");

describe("cross-check against gss-ntlmssp (python3-gssapi)", { skip }, () => {
  let dir = "";
  let env: Record<string, string> = {};
  const peers: GssPeer[] = [];
  const newPeer = (): GssPeer => {
    const p = new GssPeer(env);
    peers.push(p);
    return p;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "gssntlm-"));
    writeFileSync(join(dir, "users.txt"), "EXAMPLE:alice:Passw0rd!\n");
    env = { NTLM_USER_FILE: join(dir, "users.txt"), NETBIOS_COMPUTER_NAME: "GSSHOST", NETBIOS_DOMAIN_NAME: "EXAMPLE" };
  });
  after(() => {
    for (const p of peers) p.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ourInitiatorAgainstGss(
    password: string,
    cb: { ours?: ChannelBindings; theirs?: ChannelBindings } = {},
    tamper: (authenticate: Buffer) => Buffer = (m) => m,
  ): Promise<{ ini: NtlmMechanism; acc: GssPeer; last: PeerResponse }> {
    const acc = newPeer();
    await acc.ok({ op: "acceptor", ...(cb.theirs && { cb: b64(cb.theirs.applicationData) }) });
    const ini = new NtlmMechanism({ credentials: { username: "EXAMPLE\\alice", password }, spn: "HTTP/gsshost.example.test", workstation: "NODE1" });
    const negotiate = await ini.step({ token: undefined, channelBindings: cb.ours });
    const r1 = await acc.ok({ op: "step", token: b64(negotiate ?? new Uint8Array()) });
    assert.equal(r1.complete, false);
    const authenticate = await ini.step({ token: unb64(r1.token), channelBindings: cb.ours });
    assert.ok(ini.complete);
    const last = await acc.call({ op: "step", token: b64(tamper(Buffer.from(authenticate ?? new Uint8Array()))) });
    return { ini, acc, last };
  }

  test("our NtlmMechanism authenticates to the gss-ntlmssp acceptor; seal/unseal both ways", async () => {
    const { ini, acc, last } = await ourInitiatorAgainstGss("Passw0rd!");
    assert.equal(last.error, undefined, `gss acceptor refused our AUTHENTICATE: ${last.error}`);
    assert.equal(last.complete, true);
    assert.equal(last.peer?.toUpperCase(), "EXAMPLE\\ALICE");
    const sealer = ini.sealer();
    for (let i = 0; i < 3; i++) {
      // Our wrap -> gss unwrap (several messages: the RC4 handles and sequence numbers must stay in step).
      const req = Buffer.from(`<s:Envelope>request ${i}</s:Envelope>`);
      const w = sealer.wrap(req);
      const u = await acc.ok({ op: "unwrap", data: b64(Buffer.concat([w.header, w.data])) });
      assert.deepEqual(unb64(u.data), req);
      // gss wrap -> our unwrap.
      const resp = Buffer.from(`<s:Envelope>response ${i} äöü</s:Envelope>`);
      const g = unb64((await acc.ok({ op: "wrap", data: b64(resp) })).data);
      assert.deepEqual(Buffer.from(sealer.unwrap(g.subarray(0, 16), g.subarray(16))), resp);
    }
  });

  test("the gss-ntlmssp acceptor rejects our AUTHENTICATE made with a wrong password", async () => {
    const { last } = await ourInitiatorAgainstGss("not-the-password");
    assert.notEqual(last.error, undefined, "a wrong password must not be accepted");
    assert.notEqual(last.complete, true);
  });

  test("the gss-ntlmssp acceptor checks our MIC (MS-NLMP 3.2.5.1.2): a flipped MIC byte is refused", async () => {
    const { last } = await ourInitiatorAgainstGss("Passw0rd!", {}, (m) => {
      assert.ok(decodeAuthenticate(m).mic, "our AUTHENTICATE must carry a MIC");
      const c = Buffer.from(m);
      c[AUTHENTICATE_MIC_OFFSET] = (c[AUTHENTICATE_MIC_OFFSET] as number) ^ 1;
      return c;
    });
    assert.notEqual(last.error, undefined, "a corrupted MIC must not be accepted");
  });

  async function gssInitiatorAgainstOurs(
    password: string,
    cb: { ours?: ChannelBindings; theirs?: ChannelBindings } = {},
  ): Promise<{ ini: GssPeer; acc: NtlmAcceptor }> {
    const ini = newPeer();
    await ini.ok({
      op: "initiator",
      user: "EXAMPLE\\alice",
      password,
      target: "HTTP@win2019.example.test",
      ...(cb.theirs && { cb: b64(cb.theirs.applicationData) }),
    });
    const acc = new NtlmAcceptor({
      users: [{ domain: "EXAMPLE", user: "alice", password: "Passw0rd!" }],
      netbiosDomain: "EXAMPLE",
      netbiosComputer: "WIN2019",
      dnsComputer: "win2019.example.test",
      dnsDomain: "example.test",
      ...(cb.ours && { channelBindings: cb.ours, cbtHardening: "Strict" as const }),
    });
    const n = await ini.ok({ op: "step", token: null });
    const c = acc.step(unb64(n.token));
    assert.ok(c.token);
    const a = await ini.ok({ op: "step", token: b64(c.token) });
    assert.ok(a.token, "gss initiator produced no AUTHENTICATE");
    // gss-ntlmssp 1.2 sends no MIC outside SPNEGO (MsvAvFlags 0, 72-byte header): our acceptor must accept that.
    assert.equal(decodeAuthenticate(unb64(a.token)).mic, undefined);
    const r = acc.step(unb64(a.token));
    assert.equal(r.complete, true);
    assert.equal(r.user, "EXAMPLE\\alice");
    return { ini, acc };
  }

  test("gss-ntlmssp as initiator authenticates to our NtlmAcceptor; seal/unseal both ways", async () => {
    const { ini, acc } = await gssInitiatorAgainstOurs("Passw0rd!");
    const sealer = acc.sealer();
    for (let i = 0; i < 3; i++) {
      const req = Buffer.from(`<s:Envelope>request ${i}</s:Envelope>`);
      const g = unb64((await ini.ok({ op: "wrap", data: b64(req) })).data);
      assert.deepEqual(Buffer.from(sealer.unwrap(g.subarray(0, 16), g.subarray(16))), req);
      const resp = Buffer.from(`<s:Envelope>response ${i}</s:Envelope>`);
      const w = sealer.wrap(resp);
      const u = await ini.ok({ op: "unwrap", data: b64(Buffer.concat([w.header, w.data])) });
      assert.deepEqual(unb64(u.data), resp);
    }
  });

  test("our NtlmAcceptor rejects gss-ntlmssp with a wrong password", async () => {
    await assert.rejects(gssInitiatorAgainstOurs("wrong"), AuthenticationError);
  });

  test("channel bindings: our hash matches gss-ntlmssp's (RFC 5929 / MS-NLMP 2.2.2.1), both directions", async () => {
    const ok = await ourInitiatorAgainstGss("Passw0rd!", { ours: CB_A, theirs: CB_A });
    assert.equal(ok.last.error, undefined, `gss acceptor refused our channel bindings: ${ok.last.error}`);
    assert.equal(ok.last.complete, true);
    const bad = await ourInitiatorAgainstGss("Passw0rd!", { ours: CB_B, theirs: CB_A });
    assert.notEqual(bad.last.error, undefined, "gss acceptor must refuse bindings of another certificate");
    await gssInitiatorAgainstOurs("Passw0rd!", { ours: CB_A, theirs: CB_A });
    await assert.rejects(gssInitiatorAgainstOurs("Passw0rd!", { ours: CB_A, theirs: CB_B }), /channel binding/);
  });
});
