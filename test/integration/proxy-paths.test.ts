/**
 * The proofs of issue 3 against real proxies started here on loopback ports (test/peers): Debian squid in its
 * variants, tinyproxy, our recording proxy, and pywinrm as an independent client, all in front of the emulated host.
 *
 * - Every allowed path works: http:// via CONNECT and via forward, https:// via CONNECT, squid Basic and NTLM proxy
 *   auth with https:// targets.
 * - Every forbidden path (proxy credentials with an http:// target; Basic or no encryption over http:// through a
 *   proxy) fails before the proxy logs anything from us (squid's access log, read past a marker request) and before
 *   any TCP connection reaches a proxy (the recording proxy counts them).
 * - Forward proxies that break connection affinity (squid connection-auth=off, client_persistent_connections off,
 *   tinyproxy) give ProxyAffinityError, and the same proxies are fine through a tunnel.
 * - Over every allowed path the recording proxy sees no password, no NT hash and no plaintext SOAP.
 * - pywinrm through the same squid (HTTP_PROXY) reaches the emulator.
 *
 * Each proxy is started once for the file; every one is stopped in `after`, whatever failed.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { WinRMClient } from "../../provider/src/client.js";
import type { ConnectionInput } from "../../provider/src/connection.js";
import { InsecureProxyPathError, ProxyAffinityError, ProxyAuthenticationError } from "../../provider/src/errors.js";
import type { PathEvent } from "../../provider/src/transport/pathEvents.js";
import { PASSWORD, USER, startFixture, type Fixture } from "./clientFixture.js";
import { pywinrmMissing, runJsonDriver, writeOpensslLegacyConf } from "../peers/python.js";
import { RecordingProxy, SOAP_MARKERS, assertNothingLeaked, findLeaks, secretForms } from "../peers/recordingProxy.js";
import { PROXY_PASSWORD, PROXY_USER, Squid, squidMissing } from "../peers/squid.js";
import { Tinyproxy, tinyproxyMissing } from "../peers/tinyproxy.js";

type ProxyField = Exclude<ConnectionInput["proxy"], undefined | "none" | "env">;

const NTLM_PROXY_USER = "PROXYDOM\\carol";
const NTLM_PROXY_PASSWORD = "Pr0xy-Secret-9";
const OUTPUT_MARKER = "confidential-output-7d1f";

const missing = squidMissing() || tinyproxyMissing();

interface Run {
  stdout: string;
  events: PathEvent[];
}

/** Run one command through `connection` with a fresh client (closed afterwards), collecting the path events. */
async function runThrough(connection: ConnectionInput, command = `echo ${OUTPUT_MARKER}`): Promise<Run> {
  const events: PathEvent[] = [];
  const client = new WinRMClient(connection, { observer: (e) => events.push(e) });
  try {
    const r = await client.run(command);
    assert.equal(r.exitCode, 0);
    return { stdout: r.stdout, events };
  } finally {
    await client.close();
  }
}

/** Try a path that must be refused; returns the error. The client is closed either way. */
async function refused(connection: ConnectionInput): Promise<unknown> {
  let client: WinRMClient | undefined;
  try {
    client = new WinRMClient(connection);
    await client.run("echo must-not-run");
  } catch (e) {
    return e;
  } finally {
    await client?.close();
  }
  assert.fail("the path was allowed");
}

function event<T extends PathEvent["type"]>(events: PathEvent[], type: T): Extract<PathEvent, { type: T }> | undefined {
  return events.find((e): e is Extract<PathEvent, { type: T }> => e.type === type);
}

void describe("issue 3 proofs: real proxies between the client and the emulated host", { skip: missing }, () => {
  let http: Fixture;
  let https: Fixture;
  let squidOpen: Squid; // no auth, plus a connection-auth=off port
  let squidBasic: Squid;
  let squidFakeNtlm: Squid; // ntlm_fake_auth
  let squidNtlm: Squid; // verifying NTLMv2 helper
  let squidNoKeepAlive: Squid; // client_persistent_connections off
  let tiny: Tinyproxy;
  let rec: RecordingProxy;
  let recBasic: RecordingProxy;
  let recNoConnect: RecordingProxy;

  const httpAuthority = () => `127.0.0.1:${http.emu.port}`;
  const httpsAuthority = () => `127.0.0.1:${https.emu.port}`;
  const viaHttp = (proxy: ProxyField, extra: Partial<ConnectionInput> = {}): ConnectionInput => ({ ...http.connection, ...extra, proxy });
  const viaHttps = (proxy: ProxyField, extra: Partial<ConnectionInput> = {}): ConnectionInput => ({ ...https.connection, ...extra, proxy });

  before(async () => {
    [http, https] = await Promise.all([startFixture("win2019"), startFixture("win2019", { tls: true, cbtHardening: "Strict" })]);
    https.host.config.set("winrm/config/service/auth", { Basic: "true" });
    http.host.config.set("winrm/config/service/auth", { Basic: "true" });
    [squidOpen, squidBasic, squidFakeNtlm, squidNtlm, squidNoKeepAlive, tiny, rec, recBasic, recNoConnect] = await Promise.all([
      Squid.start({ auth: "none", connectionAuthOff: true }),
      Squid.start({ auth: "basic" }),
      Squid.start({ auth: "ntlm" }),
      Squid.start({ auth: "ntlm", ntlmHelper: "acceptor", ntlmUsers: [{ domain: "PROXYDOM", user: "carol", password: NTLM_PROXY_PASSWORD }] }),
      Squid.start({ auth: "none", clientPersistentConnections: false }),
      Tinyproxy.start(),
      RecordingProxy.start(),
      RecordingProxy.start({ basicAuth: { username: PROXY_USER, password: PROXY_PASSWORD } }),
      RecordingProxy.start({ refuseConnect: true }),
    ]);
  });
  after(async () => {
    await Promise.allSettled([
      squidOpen?.stop(),
      squidBasic?.stop(),
      squidFakeNtlm?.stop(),
      squidNtlm?.stop(),
      squidNoKeepAlive?.stop(),
      tiny?.stop(),
      rec?.close(),
      recBasic?.close(),
      recNoConnect?.close(),
    ]);
    await Promise.allSettled([http?.client.close(), https?.client.close()]);
    await Promise.allSettled([http?.emu.close(), https?.emu.close()]);
  });

  /* ---------------------------------------------------------------------------------------------------------- */
  /* Allowed paths through squid                                                                                 */
  /* ---------------------------------------------------------------------------------------------------------- */

  void describe("allowed paths through squid", () => {
    void test("squid, no auth: http:// target via CONNECT (auto tunnels; messages sealed end to end)", async () => {
      const start = http.emu.requests.length;
      const r = await runThrough(viaHttp({ url: squidOpen.url }));
      assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);
      assert.equal(event(r.events, "connect")?.status, 200);
      const soap = http.emu.requests.slice(start).filter((e) => e.action !== undefined);
      assert.ok(soap.length >= 4 && soap.every((e) => e.encrypted && e.user === USER), JSON.stringify(soap));
      const log = await squidOpen.logUntilMarker();
      assert.ok(log.some((e) => e.method === "CONNECT" && e.url === httpAuthority() && e.status === 200), JSON.stringify(log));
      assert.ok(!log.some((e) => e.method === "POST"), "nothing went in absolute-form");
    });

    void test("squid, no auth: http:// target via forward (absolute-form, squid pins the server connection)", async () => {
      const start = http.emu.requests.length;
      const r = await runThrough(viaHttp({ url: squidOpen.url, mode: "forward" }));
      assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);
      assert.equal(event(r.events, "affinity")?.verdict, "ok");
      const soap = http.emu.requests.slice(start).filter((e) => e.action !== undefined);
      assert.ok(soap.length >= 4 && soap.every((e) => e.encrypted), JSON.stringify(soap));
      const log = await squidOpen.logUntilMarker();
      const posts = log.filter((e) => e.method === "POST" && e.url === `http://${httpAuthority()}/wsman`);
      assert.ok(posts.length >= soap.length, JSON.stringify(log));
      assert.ok(!log.some((e) => e.method === "CONNECT" && e.url === httpAuthority()), "no CONNECT in forward mode");
    });

    void test("squid, no auth: https:// target via CONNECT (TLS inside the tunnel, channel bindings accepted)", async () => {
      const r = await runThrough(viaHttps({ url: squidOpen.url }));
      assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);
      assert.equal(event(r.events, "tls")?.channelBindings, true);
      const log = await squidOpen.logUntilMarker();
      assert.ok(log.some((e) => e.method === "CONNECT" && e.url === httpsAuthority() && e.result === "TCP_TUNNEL"), JSON.stringify(log));
    });

    void test("squid Basic proxy auth (basic_ncsa_auth) with an https:// target; a wrong proxy password is a ProxyAuthenticationError", async () => {
      const r = await runThrough(viaHttps({ url: squidBasic.url, auth: "basic", username: PROXY_USER, password: PROXY_PASSWORD }));
      assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);
      assert.equal(event(r.events, "connect")?.proxyAuth, "Basic");
      let log = await squidBasic.logUntilMarker();
      assert.ok(log.some((e) => e.method === "CONNECT" && e.url === httpsAuthority() && e.status === 200 && e.user === PROXY_USER), JSON.stringify(log));

      const before = https.emu.requests.length;
      const err = await refused(viaHttps({ url: squidBasic.url, auth: "basic", username: PROXY_USER, password: "Wrong-Pr0xy-pw" }));
      assert.ok(err instanceof ProxyAuthenticationError, String(err));
      assert.ok(!err.message.includes("Wrong-Pr0xy-pw"));
      assert.equal(https.emu.requests.length, before, "nothing reached the host");
      log = await squidBasic.logUntilMarker();
      const denied = log.filter((e) => e.method === "CONNECT" && e.url === httpsAuthority() && e.status === 407);
      assert.ok(denied.length >= 1 && denied.length <= 3, `no 407 loop: ${denied.length} denied CONNECTs`);
    });

    void test("squid NTLM proxy auth (ntlm_fake_auth) with an https:// target", async () => {
      const r = await runThrough(viaHttps({ url: squidFakeNtlm.url, auth: "ntlm", username: "EXAMPLE\\anyone", password: "anything-goes" }));
      assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);
      assert.equal(event(r.events, "connect")?.proxyAuth, "NTLM");
      const log = await squidFakeNtlm.logUntilMarker();
      assert.ok(log.some((e) => e.method === "CONNECT" && e.url === httpsAuthority() && e.status === 200 && e.user !== "-"), JSON.stringify(log));
    });

    void test("squid NTLM proxy auth verified by an NTLMv2 acceptor, https:// target; wrong password refused without a loop", async () => {
      const r = await runThrough(viaHttps({ url: squidNtlm.url, auth: "ntlm", username: NTLM_PROXY_USER, password: NTLM_PROXY_PASSWORD }));
      assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);
      const connect = event(r.events, "connect");
      assert.equal(connect?.proxyAuth, "NTLM");
      let log = await squidNtlm.logUntilMarker();
      assert.ok(log.some((e) => e.method === "CONNECT" && e.url === httpsAuthority() && e.status === 200 && /carol/i.test(e.user)), JSON.stringify(log));

      const err = await refused(viaHttps({ url: squidNtlm.url, auth: "ntlm", username: NTLM_PROXY_USER, password: "not-the-proxy-password" }));
      assert.ok(err instanceof ProxyAuthenticationError, String(err));
      assert.ok(!err.message.includes("not-the-proxy-password"));
      log = await squidNtlm.logUntilMarker();
      const denied = log.filter((e) => e.method === "CONNECT" && e.url === httpsAuthority() && e.status === 407);
      assert.ok(denied.length <= 3, `no 407 loop: ${denied.length} denied CONNECTs`);
    });
  });

  /* ---------------------------------------------------------------------------------------------------------- */
  /* Forbidden paths: refused before the proxy sees anything                                                     */
  /* ---------------------------------------------------------------------------------------------------------- */

  void describe("forbidden paths fail before the proxy logs anything from us", () => {
    async function assertSquidSawNothing(squid: Squid, emuStart: number): Promise<void> {
      const log = await squid.logUntilMarker();
      const ours = log.filter((e) => e.url.includes(httpAuthority()));
      assert.deepEqual(ours, [], "squid logged a request for the target");
      assert.equal(http.emu.requests.length, emuStart, "nothing reached the host");
    }

    for (const auth of ["basic", "ntlm", "negotiate"] as const) {
      void test(`proxy credentials (${auth}) with an http:// target: InsecureProxyPathError, no byte to squid`, async () => {
        const squid = auth === "basic" ? squidBasic : squidFakeNtlm;
        const start = http.emu.requests.length;
        const err = await refused(viaHttp({ url: squid.url, auth, username: PROXY_USER, password: PROXY_PASSWORD }));
        assert.ok(err instanceof InsecureProxyPathError, String(err));
        assert.match(err.message, /https/i, "names the fix");
        assert.ok(!err.message.includes(PROXY_PASSWORD));
        await assertSquidSawNothing(squid, start);
      });
    }

    void test("Basic target auth over http:// through a proxy: InsecureProxyPathError, no byte to squid", async () => {
      const start = http.emu.requests.length;
      const err = await refused(viaHttp({ url: squidOpen.url }, { auth: { mechanism: "basic", username: USER, password: PASSWORD } }));
      assert.ok(err instanceof InsecureProxyPathError, String(err));
      assert.ok(!err.message.includes(PASSWORD));
      await assertSquidSawNothing(squidOpen, start);
    });

    void test('messageEncryption "never" over http:// through a proxy is refused, no byte to squid', async () => {
      const start = http.emu.requests.length;
      const err = await refused(viaHttp({ url: squidOpen.url }, { messageEncryption: "never" }));
      assert.ok(err instanceof InsecureProxyPathError, String(err));
      await assertSquidSawNothing(squidOpen, start);
    });

    void test("the same forbidden paths open no TCP connection to a proxy at all (recording proxy counts zero)", async () => {
      rec.reset();
      const errors = [
        await refused(viaHttp({ url: rec.url, auth: "basic", username: PROXY_USER, password: PROXY_PASSWORD })),
        await refused(viaHttp({ url: rec.url, auth: "ntlm", username: PROXY_USER, password: PROXY_PASSWORD })),
        await refused(viaHttp({ url: rec.url }, { auth: { mechanism: "basic", username: USER, password: PASSWORD } })),
      ];
      assert.ok(errors.every((e) => e instanceof InsecureProxyPathError), errors.map(String).join(" | "));
      assert.equal(rec.connections.length, 0);
    });
  });

  /* ---------------------------------------------------------------------------------------------------------- */
  /* Broken affinity                                                                                             */
  /* ---------------------------------------------------------------------------------------------------------- */

  void describe("forward proxies without connection affinity give ProxyAffinityError", () => {
    async function assertAffinityError(connection: ConnectionInput, what: RegExp): Promise<void> {
      const err = await refused(connection);
      assert.ok(err instanceof ProxyAffinityError, String(err));
      assert.match(err.message, /https|tunnel/i, "says what fixes it");
      assert.match(err.observed, what);
      assert.ok(!err.message.includes(PASSWORD));
    }

    void test("squid http_port connection-auth=off (strips the Negotiate challenge) -> ProxyAffinityError; tunnel through it works", async () => {
      const url = squidOpen.connectionAuthOffUrl ?? "";
      const start = http.emu.requests.length;
      await assertAffinityError(viaHttp({ url, mode: "forward" }), /challenge|WWW-Authenticate|Negotiate|Proxy-Support/i);
      const posts = http.emu.requests.slice(start).length;
      assert.ok(posts <= 3, `no 401 loop: ${posts} requests reached the host`);
      const r = await runThrough(viaHttp({ url, mode: "tunnel" }));
      assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);
    });

    void test("squid client_persistent_connections off (closes after the 200) -> ProxyAffinityError; tunnel works", async () => {
      const start = http.emu.requests.length;
      await assertAffinityError(viaHttp({ url: squidNoKeepAlive.url, mode: "forward" }), /clos|keep-alive|connection/i);
      assert.equal(http.emu.shells.shellCount, 0, "no shell was created");
      assert.ok(http.emu.requests.slice(start).length <= 4, "no loop");
      const r = await runThrough(viaHttp({ url: squidNoKeepAlive.url, mode: "tunnel" }));
      assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);
    });

    void test("tinyproxy, auto: CONNECT refused (403) -> forward -> ProxyAffinityError (it drops the connection after each response)", async () => {
      const events: PathEvent[] = [];
      let err: unknown;
      const client = new WinRMClient(viaHttp({ url: tiny.url }), { observer: (e) => events.push(e) });
      try {
        await client.run("echo must-not-run");
      } catch (e) {
        err = e;
      } finally {
        await client.close();
      }
      assert.ok(err instanceof ProxyAffinityError, String(err));
      assert.equal(event(events, "forward-fallback")?.connectStatus, 403);
      assert.equal(event(events, "affinity")?.verdict, "broken");
    });

    void test("tinyproxy, forward -> ProxyAffinityError", async () => {
      await assertAffinityError(viaHttp({ url: tiny.url, mode: "forward" }), /clos|keep-alive|connection|challenge/i);
    });
  });

  /* ---------------------------------------------------------------------------------------------------------- */
  /* What an on-path proxy can read                                                                              */
  /* ---------------------------------------------------------------------------------------------------------- */

  void describe("the recording proxy sees no password, no NT hash, no plaintext SOAP on any allowed path", () => {
    const outputForms = () => [{ label: "command output", bytes: Buffer.from(OUTPUT_MARKER, "latin1") }];

    function assertClean(proxy: RecordingProxy): void {
      assertNothingLeaked(proxy, { passwords: [PASSWORD] });
      const leaks = [...findLeaks(proxy.bytes("up"), outputForms()), ...findLeaks(proxy.bytes("down"), outputForms())];
      assert.deepEqual(leaks, [], "the command's output crossed in clear");
    }

    // proxyAuth: whether the client must send Proxy-Authorization (so the hop-by-hop check below has something to check).
    const paths: { name: string; proxy: () => RecordingProxy; connection: () => ConnectionInput; tls: boolean; proxyAuth: boolean }[] = [
      { name: "http:// target, CONNECT tunnel, NTLM sealing", proxy: () => rec, connection: () => viaHttp({ url: rec.url, mode: "tunnel" }), tls: false, proxyAuth: false },
      { name: "http:// target, forward, NTLM sealing", proxy: () => rec, connection: () => viaHttp({ url: rec.url, mode: "forward" }), tls: false, proxyAuth: false },
      { name: "http:// target, auto with CONNECT refused -> forward", proxy: () => recNoConnect, connection: () => viaHttp({ url: recNoConnect.url }), tls: false, proxyAuth: false },
      { name: "https:// target, CONNECT tunnel, NTLM", proxy: () => rec, connection: () => viaHttps({ url: rec.url }), tls: true, proxyAuth: false },
      {
        name: "https:// target, Basic target auth inside TLS, Basic proxy auth",
        proxy: () => recBasic,
        connection: () =>
          viaHttps(
            { url: recBasic.url, auth: "basic", username: PROXY_USER, password: PROXY_PASSWORD },
            { auth: { mechanism: "basic", username: USER, password: PASSWORD } },
          ),
        tls: true,
        proxyAuth: true,
      },
    ];

    for (const p of paths) {
      void test(p.name, async () => {
        const proxy = p.proxy();
        proxy.reset();
        const r = await runThrough(p.connection());
        assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);
        assertClean(proxy);
        if (p.tls) {
          const tunnels = proxy.connections.filter((c) => c.tunnel !== undefined);
          assert.ok(tunnels.length > 0, "an https:// target is reached through a CONNECT tunnel");
          for (const c of tunnels) {
            // After the CONNECT head, the first byte the client sends is a TLS handshake record (RFC 8446 5.1).
            const up = Buffer.concat(c.up);
            assert.equal(up[c.tunnelUpOffset ?? -1], 0x16, "TLS inside the tunnel");
          }
        }
        // Proxy-Authorization only on the CONNECT heads to the proxy itself (RFC 9110 11.7.2: hop-by-hop).
        const withProxyAuth = proxy.requests.filter((req) => req.headers.some(([k]) => /^proxy-authorization$/i.test(k)));
        assert.ok(withProxyAuth.every((req) => req.method === "CONNECT"), JSON.stringify(withProxyAuth.map((r) => r.method)));
        assert.equal(withProxyAuth.length > 0, p.proxyAuth, "Proxy-Authorization sent exactly when the proxy needs it");
      });
    }

    void test("and the assertion bites: Basic target auth over https:// would show the password if TLS were not there", () => {
      // The same helper over a recorded plaintext Basic request finds the password (so the checks above can fail).
      const header = Buffer.from(`Authorization: Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}\r\n<s:Envelope>`);
      const found = findLeaks(header, [...secretForms(PASSWORD), ...SOAP_MARKERS]);
      assert.ok(found.includes("password (UTF-8)") && found.includes("plaintext SOAP (Envelope)"), found.join());
    });
  });

  /* ---------------------------------------------------------------------------------------------------------- */
  /* pywinrm through the same squid                                                                              */
  /* ---------------------------------------------------------------------------------------------------------- */

  void describe("pywinrm through squid (HTTP_PROXY)", { skip: pywinrmMissing() }, () => {
    const DRIVER = fileURLToPath(new URL("../../../test/peers/pywinrm_run.py", import.meta.url));
    let dir: string;
    let opensslConf: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "pywinrm-proxy-"));
      opensslConf = writeOpensslLegacyConf(dir);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    function pywinrm(proxyUrl: string): Promise<{ std_out?: string; status_code?: number; type?: string; error?: string }> {
      // requests reads the proxy from the environment only (pywinrm 0.3.0 has no proxy argument).
      return runJsonDriver([DRIVER, http.emu.url, "ntlm", USER, PASSWORD, `echo ${OUTPUT_MARKER}`], { OPENSSL_CONF: opensslConf, HTTP_PROXY: proxyUrl, http_proxy: proxyUrl });
    }

    void test("NTLM + message encryption through squid's pinning port: works, squid forwarded every POST", async () => {
      const start = http.emu.requests.length;
      const r = await pywinrm(squidOpen.url);
      assert.deepEqual(r, { std_out: `${OUTPUT_MARKER}\r\n`, std_err: "", status_code: 0 });
      const soap = http.emu.requests.slice(start).filter((e) => e.action !== undefined);
      assert.ok(soap.length >= 5 && soap.every((e) => e.encrypted && e.user === USER), JSON.stringify(soap));
      const log = await squidOpen.logUntilMarker();
      assert.ok(log.filter((e) => e.method === "POST" && e.url === http.emu.url).length >= soap.length, JSON.stringify(log));
    });

    void test("and through squid's connection-auth=off port it fails, as our client's ProxyAffinityError says it must", async () => {
      const r = await pywinrm(squidOpen.connectionAuthOffUrl ?? "");
      assert.equal(r.type, "InvalidCredentialsError", JSON.stringify(r));
    });
  });
});
