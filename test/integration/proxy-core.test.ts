/**
 * The proxy core against small Node proxies of our own (proxyCoreHarness.ts): CONNECT with Basic and NTLM proxy auth,
 * the ISA-style 407 + close, refused CONNECT -> forward, forward-proxy affinity failures, no 401/407 loops, and
 * forbidden paths that never open a socket. Real squid/tinyproxy proofs live in the proxy-* tests of test/peers users.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { WinRMClient } from "../../provider/src/client.js";
import type { ConnectionInput } from "../../provider/src/connection.js";
import {
  AuthenticationError,
  InsecureProxyPathError,
  ProxyAffinityError,
  ProxyAuthenticationError,
  ProxyError,
} from "../../provider/src/errors.js";
import type { PathEvent } from "../../provider/src/transport/pathEvents.js";
import { startFixture, PASSWORD, USER, type Fixture } from "./clientFixture.js";
import { startCountingListener, TestProxy, type TestProxyOptions } from "./proxyCoreHarness.js";

const PROXY_USER = "PROXYDOM\\bob";
const PROXY_PASSWORD = "Pr0xy-Pa55-word!";
const NTLM_USERS = [{ domain: "PROXYDOM", user: "bob", password: PROXY_PASSWORD }];

type ProxyField = Exclude<ConnectionInput["proxy"], undefined>;

function withProxy(fx: Fixture, proxy: ProxyField): ConnectionInput {
  return { ...fx.connection, proxy };
}

async function runEcho(client: WinRMClient, text = "through-the-proxy"): Promise<void> {
  const r = await client.run(`echo ${text}`);
  assert.equal(r.stdout, `${text}\r\n`);
  assert.equal(r.exitCode, 0);
}

function noSecretIn(text: string): void {
  assert.ok(!text.includes(PROXY_PASSWORD), "the proxy password leaked");
  assert.ok(!text.includes(PASSWORD), "the target password leaked");
}

async function expectError<T extends Error>(p: Promise<unknown>, cls: abstract new (...a: never[]) => T): Promise<T> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    noSecretIn(e.message);
    return e;
  }
  assert.fail(`expected ${cls.name}, but it succeeded`);
}

async function withProxyServer(
  opts: TestProxyOptions,
  body: (proxy: TestProxy) => Promise<void>,
): Promise<TestProxy> {
  const proxy = await TestProxy.start(opts);
  try {
    await body(proxy);
  } finally {
    await proxy.close();
  }
  return proxy;
}

void describe("proxy core: https:// endpoint through CONNECT", () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture("win2019", { tls: true, cbtHardening: "Strict" });
  });
  after(async () => {
    await fx.client.close();
    await fx.emu.close();
  });

  void test("no proxy auth: one CONNECT, TLS inside, NTLM with channel bindings to the host", async () => {
    await withProxyServer({}, async (proxy) => {
      const events: PathEvent[] = [];
      const client = new WinRMClient(withProxy(fx, { url: proxy.url }), { observer: (e) => events.push(e) });
      try {
        await runEcho(client);
      } finally {
        await client.close();
      }
      assert.deepEqual(
        proxy.log.map((e) => [e.method, e.status]),
        [["CONNECT", 200]],
      );
      assert.equal(proxy.log[0]?.target, `127.0.0.1:${fx.emu.port}`);
      assert.deepEqual(
        events.map((e) => e.type),
        ["route", "proxy-connect", "connect", "tls", "target-auth", "encryption", "affinity"],
      );
      const tls = events.find((e) => e.type === "tls");
      assert.ok(tls?.type === "tls" && tls.channelBindings && /localhost/.test(tls.subject));
      const aff = events.find((e) => e.type === "affinity");
      assert.ok(aff?.type === "affinity" && aff.verdict === "by-construction");
      const enc = events.find((e) => e.type === "encryption");
      assert.ok(enc?.type === "encryption" && enc.tls && !enc.sealed);
    });
  });

  void test("Basic proxy auth: 407 then 200; a new tunnel sends Basic pre-emptively; never inside the tunnel", async () => {
    await withProxyServer({ auth: { scheme: "basic", username: "bob", password: PROXY_PASSWORD } }, async (proxy) => {
      const events: PathEvent[] = [];
      const client = new WinRMClient(
        withProxy(fx, { url: proxy.url, auth: "basic", username: "bob", password: PROXY_PASSWORD }),
        { observer: (e) => events.push(e) },
      );
      try {
        await runEcho(client);
        assert.deepEqual(
          proxy.log.map((e) => [e.method, e.status, e.proxyAuthorization !== undefined]),
          [
            ["CONNECT", 407, false],
            ["CONNECT", 200, true],
          ],
        );
        // The host drops the connection: the next tunnel carries Basic on its first CONNECT (RFC 7617 2.2). A Get is
        // idempotent, so it is resent on the new tunnel even if the old one dies under it.
        fx.emu.dropConnections();
        const cfg = await client.getConfig("winrm/config/service");
        assert.ok(Object.keys(cfg).length > 0);
        assert.deepEqual(
          proxy.log.slice(2).map((e) => [e.method, e.status, e.proxyAuthorization !== undefined]),
          [["CONNECT", 200, true]],
        );
      } finally {
        await client.close();
      }
      const inside = proxy.allTunnelled().toString("latin1");
      assert.ok(!/proxy-authorization/i.test(inside), "Proxy-Authorization went into the tunnel");
      assert.ok(!inside.includes(PROXY_PASSWORD) && !inside.includes(Buffer.from(`bob:${PROXY_PASSWORD}`).toString("base64")));
      const connect = events.find((e) => e.type === "connect");
      assert.ok(connect?.type === "connect" && connect.proxyAuth === "Basic" && connect.legs === 2);
      noSecretIn(JSON.stringify(events));
    });
  });

  void test("NTLM proxy auth: three CONNECT legs on one connection", async () => {
    await withProxyServer({ auth: { scheme: "ntlm", users: NTLM_USERS } }, async (proxy) => {
      const events: PathEvent[] = [];
      const client = new WinRMClient(
        withProxy(fx, { url: proxy.url, auth: "ntlm", username: PROXY_USER, password: PROXY_PASSWORD }),
        { observer: (e) => events.push(e) },
      );
      try {
        await runEcho(client);
      } finally {
        await client.close();
      }
      assert.deepEqual(
        proxy.log.map((e) => [e.connection, e.method, e.status, e.proxyAuthorization?.split(" ")[0]]),
        [
          [1, "CONNECT", 407, undefined],
          [1, "CONNECT", 407, "NTLM"],
          [1, "CONNECT", 200, "NTLM"],
        ],
      );
      assert.ok(!/proxy-authorization/i.test(proxy.allTunnelled().toString("latin1")));
      const connect = events.find((e) => e.type === "connect");
      assert.deepEqual(connect, {
        type: "connect",
        proxy: proxy.url,
        target: `127.0.0.1:${fx.emu.port}`,
        status: 200,
        legs: 3,
        proxyAuth: "NTLM",
        reconnected: false,
      });
      noSecretIn(JSON.stringify(events));
    });
  });

  void test("NTLM under the Negotiate scheme when that is what the proxy offers", async () => {
    await withProxyServer({ auth: { scheme: "ntlm", users: NTLM_USERS, offer: ["Negotiate"] } }, async (proxy) => {
      const client = new WinRMClient(
        withProxy(fx, { url: proxy.url, auth: "negotiate", username: PROXY_USER, password: PROXY_PASSWORD }),
      );
      try {
        await runEcho(client);
      } finally {
        await client.close();
      }
      assert.deepEqual(
        proxy.log.map((e) => e.proxyAuthorization?.split(" ")[0] ?? "-"),
        ["-", "Negotiate", "Negotiate"],
      );
    });
  });

  void test("407 with Connection: close after the credential-less CONNECT: reconnect once, legs on the new connection", async () => {
    await withProxyServer({ auth: { scheme: "ntlm", users: NTLM_USERS }, closeAfterFirst407: true }, async (proxy) => {
      const events: PathEvent[] = [];
      const client = new WinRMClient(
        withProxy(fx, { url: proxy.url, auth: "ntlm", username: PROXY_USER, password: PROXY_PASSWORD }),
        { observer: (e) => events.push(e) },
      );
      try {
        await runEcho(client);
      } finally {
        await client.close();
      }
      assert.deepEqual(
        proxy.log.map((e) => [e.connection, e.status]),
        [
          [1, 407],
          [2, 407],
          [2, 200],
        ],
      );
      assert.equal(proxy.connections, 2);
      assert.equal(events.filter((e) => e.type === "proxy-connect").length, 2);
      const connect = events.find((e) => e.type === "connect");
      assert.ok(connect?.type === "connect" && connect.reconnected && connect.legs === 3);
    });
  });

  void test("no 407 loop: wrong Basic password = 2 CONNECTs, wrong NTLM password = 3, no proxy credentials = 1", async () => {
    await withProxyServer({ auth: { scheme: "basic", username: "bob", password: PROXY_PASSWORD } }, async (proxy) => {
      const client = new WinRMClient(withProxy(fx, { url: proxy.url, auth: "basic", username: "bob", password: "wrong-one" }));
      const e = await expectError(client.run("echo x"), ProxyAuthenticationError);
      assert.match(e.message, /rejected the credentials/);
      assert.ok(!e.message.includes("wrong-one"));
      await client.close();
      assert.equal(proxy.count("CONNECT"), 2);
    });
    await withProxyServer({ auth: { scheme: "ntlm", users: NTLM_USERS } }, async (proxy) => {
      const client = new WinRMClient(
        withProxy(fx, { url: proxy.url, auth: "ntlm", username: PROXY_USER, password: "wrong-one" }),
      );
      const e = await expectError(client.run("echo x"), ProxyAuthenticationError);
      assert.ok(!e.message.includes("wrong-one"));
      await client.close();
      assert.equal(proxy.count("CONNECT"), 3);
    });
    await withProxyServer({ auth: { scheme: "ntlm", users: NTLM_USERS } }, async (proxy) => {
      const client = new WinRMClient(withProxy(fx, { url: proxy.url }));
      const e = await expectError(client.run("echo x"), ProxyAuthenticationError);
      assert.match(e.message, /requires authentication \(it offers: NTLM\)/);
      await client.close();
      assert.equal(proxy.count("CONNECT"), 1);
    });
  });

  void test("no 401 loop through the tunnel: a wrong target password costs the 2 handshake requests", async () => {
    await withProxyServer({}, async (proxy) => {
      const before = fx.emu.requests.length;
      const conn = withProxy(fx, { url: proxy.url });
      const client = new WinRMClient({ ...conn, auth: { mechanism: "negotiate", username: USER, password: "not-it" } });
      await expectError(client.run("echo x"), AuthenticationError);
      await client.close();
      assert.equal(fx.emu.requests.length - before, 2);
      assert.equal(proxy.count("CONNECT"), 1);
    });
  });

  void test("a refused CONNECT to an https:// endpoint is a ProxyError: no forward fallback", async () => {
    await withProxyServer({ refuseConnect: 403 }, async (proxy) => {
      const client = new WinRMClient(withProxy(fx, { url: proxy.url }));
      const e = await expectError(client.run("echo x"), ProxyError);
      assert.equal(e.httpStatus, 403);
      await client.close();
      assert.deepEqual(proxy.log.map((l) => l.method), ["CONNECT"]);
    });
  });

  void test("proxy \"env\": HTTPS_PROXY is used, NO_PROXY (lower case wins) sends it direct", async () => {
    await withProxyServer({}, async (proxy) => {
      const viaEnv = new WinRMClient(withProxy(fx, "env"), { env: { HTTPS_PROXY: proxy.url, NO_PROXY: "example.com" } });
      try {
        await runEcho(viaEnv);
      } finally {
        await viaEnv.close();
      }
      assert.equal(proxy.count("CONNECT"), 1);
      const bypassed = new WinRMClient(withProxy(fx, "env"), {
        env: { https_proxy: proxy.url, no_proxy: "127.0.0.0/8", NO_PROXY: "example.com" },
      });
      try {
        await runEcho(bypassed);
      } finally {
        await bypassed.close();
      }
      assert.equal(proxy.count("CONNECT"), 1, "NO_PROXY should have sent the second client direct");
      const bypassList = new WinRMClient(withProxy(fx, { url: proxy.url, bypass: "<local>;127.0.0.*" }));
      try {
        await runEcho(bypassList);
      } finally {
        await bypassList.close();
      }
      assert.equal(proxy.connections, 1, "the bypass list should have sent the third client direct");
    });
  });
});

void describe("proxy core: http:// endpoint (sealed NTLM) through a proxy", () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture("win2019");
  });
  after(async () => {
    await fx.client.close();
    await fx.emu.close();
  });

  void test("auto: CONNECT tunnel when the proxy allows it; messages sealed end to end", async () => {
    await withProxyServer({}, async (proxy) => {
      const events: PathEvent[] = [];
      const client = new WinRMClient(withProxy(fx, { url: proxy.url }), { observer: (e) => events.push(e) });
      try {
        await runEcho(client, "sealed");
      } finally {
        await client.close();
      }
      assert.deepEqual(proxy.log.map((e) => e.method), ["CONNECT"]);
      const inside = proxy.allTunnelled().toString("latin1");
      assert.ok(inside.includes("multipart/encrypted"));
      assert.ok(!inside.includes("<s:Envelope") && !inside.includes("Envelope"), "plaintext SOAP crossed the proxy");
      const enc = events.find((e) => e.type === "encryption");
      assert.ok(enc?.type === "encryption" && enc.sealed && !enc.tls);
    });
  });

  void test("auto: CONNECT refused (403) -> forward in absolute-form on one pinned proxy connection", async () => {
    await withProxyServer({ refuseConnect: 403 }, async (proxy) => {
      const events: PathEvent[] = [];
      const client = new WinRMClient(withProxy(fx, { url: proxy.url }), { observer: (e) => events.push(e) });
      try {
        await runEcho(client, "forwarded");
        await runEcho(client, "twice");
      } finally {
        await client.close();
      }
      assert.equal(proxy.log[0]?.method, "CONNECT");
      assert.equal(proxy.log[0]?.status, 403);
      const posts = proxy.log.slice(1);
      assert.ok(posts.length >= 6);
      assert.ok(posts.every((p) => p.method === "POST" && p.target === fx.emu.url && p.connection === posts[0]?.connection));
      assert.ok(!proxy.allReceived().toString("latin1").includes("Envelope"), "plaintext SOAP crossed the proxy");
      assert.deepEqual(
        events.filter((e) => e.type === "forward-fallback" || e.type === "affinity").map((e) => e.type),
        ["forward-fallback", "affinity"],
      );
      const aff = events.find((e) => e.type === "affinity");
      assert.ok(aff?.type === "affinity" && aff.verdict === "ok");
    });
  });

  void test("tunnel mode does not fall back", async () => {
    await withProxyServer({ refuseConnect: 403 }, async (proxy) => {
      const client = new WinRMClient(withProxy(fx, { url: proxy.url, mode: "tunnel" }));
      const e = await expectError(client.run("echo x"), ProxyError);
      assert.equal(e.httpStatus, 403);
      await client.close();
      assert.deepEqual(proxy.log.map((l) => l.method), ["CONNECT"]);
    });
  });

  const affinityCases: [string, TestProxyOptions["forward"], RegExp, number][] = [
    ["closes the connection after the 401", { closeAfter: "401" }, /closed our connection after the 401/, 1],
    ["sends no Proxy-Support: Session-Based-Authentication", { proxySupport: false }, /RFC 4559 section 6/, 1],
    ["strips the Negotiate challenge", { stripConnectionAuth: true }, /no Negotiate challenge/, 1],
    ["closes the connection with the final 200", { closeAfter: "200" }, /final 200/, 2],
    ["moves the first message to another upstream connection", { pin: "until-200" }, /first message after a successful handshake/, 3],
  ];
  for (const [name, behaviour, pattern, posts] of affinityCases) {
    void test(`forward: ProxyAffinityError when the proxy ${name}; ${posts} request(s), no loop`, async () => {
      await withProxyServer({ forward: behaviour ?? {} }, async (proxy) => {
        const events: PathEvent[] = [];
        const client = new WinRMClient(withProxy(fx, { url: proxy.url, mode: "forward" }), {
          observer: (e) => events.push(e),
        });
        const e = await expectError(client.run("echo x"), ProxyAffinityError);
        assert.match(e.message, pattern);
        assert.match(e.message, /https:\/\/ endpoint, or proxyMode "tunnel"/);
        await client.close();
        assert.equal(proxy.count("POST"), posts);
        const aff = events.filter((ev) => ev.type === "affinity");
        assert.equal(aff.length, 1);
        assert.ok(aff[0]?.type === "affinity" && aff[0].verdict === "broken");
      });
    });
  }

  void test("forward: a proxy that answers 407 is a ProxyAuthenticationError after one request", async () => {
    await withProxyServer({ auth: { scheme: "basic", username: "bob", password: PROXY_PASSWORD } }, async (proxy) => {
      const client = new WinRMClient(withProxy(fx, { url: proxy.url, mode: "forward" }));
      const e = await expectError(client.run("echo x"), ProxyAuthenticationError);
      assert.match(e.message, /https:\/\//);
      await client.close();
      assert.equal(proxy.log.length, 1);
    });
  });
});

void describe("proxy core: forbidden paths send zero bytes to the proxy", () => {
  const cases: [string, (port: number) => ConnectionInput, NodeJS.ProcessEnv | undefined, string][] = [
    [
      "proxy Basic credentials with an http:// endpoint (rule 2)",
      (port) => ({
        endpoint: "http://10.0.0.5:5985/wsman",
        auth: { mechanism: "negotiate", username: USER, password: PASSWORD },
        proxy: { url: `http://127.0.0.1:${port}`, auth: "basic", username: "bob", password: PROXY_PASSWORD },
      }),
      undefined,
      "proxy.auth",
    ],
    [
      "proxy NTLM credentials with an http:// endpoint in forward mode (rule 2)",
      (port) => ({
        endpoint: "http://10.0.0.5:5985/wsman",
        auth: { mechanism: "negotiate", username: USER, password: PASSWORD },
        proxy: { url: `http://127.0.0.1:${port}`, auth: "ntlm", username: "bob", password: PROXY_PASSWORD, mode: "forward" },
      }),
      undefined,
      "proxy.auth",
    ],
    [
      "HTTP_PROXY with userinfo for an http:// endpoint (rule 2)",
      () => ({ endpoint: "http://10.0.0.5:5985/wsman", auth: { mechanism: "negotiate", username: USER, password: PASSWORD }, proxy: "env" }),
      { PORT_PLACEHOLDER: "1" },
      "HTTP_PROXY",
    ],
    [
      "Basic to the host over http:// through a proxy (rule 5)",
      (port) => ({
        endpoint: "http://10.0.0.5:5985/wsman",
        auth: { mechanism: "basic", username: "alice", password: PASSWORD },
        proxy: { url: `http://127.0.0.1:${port}` },
      }),
      undefined,
      "auth.mechanism",
    ],
    [
      "messageEncryption never over http:// through a proxy (rule 5)",
      (port) => ({
        endpoint: "http://10.0.0.5:5985/wsman",
        auth: { mechanism: "negotiate", username: USER, password: PASSWORD },
        messageEncryption: "never",
        proxy: { url: `http://127.0.0.1:${port}` },
      }),
      undefined,
      "messageEncryption",
    ],
    [
      "forward mode for an https:// endpoint",
      (port) => ({
        endpoint: "https://10.0.0.5:5986/wsman",
        auth: { mechanism: "negotiate", username: USER, password: PASSWORD },
        proxy: { url: `http://127.0.0.1:${port}`, mode: "forward" },
      }),
      undefined,
      "proxy.mode",
    ],
  ];
  for (const [name, make, env, field] of cases) {
    void test(name, async () => {
      const listener = await startCountingListener();
      try {
        const envFor =
          env === undefined ? undefined : { HTTP_PROXY: `http://bob:${encodeURIComponent(PROXY_PASSWORD)}@127.0.0.1:${listener.port}` };
        let err: unknown;
        try {
          const client = new WinRMClient(make(listener.port), envFor !== undefined ? { env: envFor } : {});
          await client.run("echo x").finally(() => client.close());
        } catch (e) {
          err = e;
        }
        assert.ok(err instanceof InsecureProxyPathError, `expected InsecureProxyPathError, got ${String(err)}`);
        assert.equal(err.field, field);
        assert.match(err.message, /fix: /);
        noSecretIn(err.message);
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(listener.connections(), 0);
        assert.equal(listener.bytes(), 0);
      } finally {
        await listener.close();
      }
    });
  }
});
