/**
 * https:// proxies (RFC 9110 11.7: "Basic proxy auth ... send it only to an HTTPS proxy or over a trusted link"):
 * TLS between the client and the proxy, the CONNECT exchange (and its 407 legs) inside it, TLS to an https:// host
 * inside the tunnel (TLS in TLS), forward proxying inside the proxy's TLS. The recording proxy keeps both what it
 * decrypted (`up`) and what crossed the network before its TLS termination (`wire`), so the tests show that the
 * proxy itself reads the Proxy-Authorization and that nobody else on the path can.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";

import { WinRMClient } from "../../provider/src/client.js";
import { parseConnection, type ConnectionInput } from "../../provider/src/connection.js";
import { ConfigurationError, ConnectionError } from "../../provider/src/errors.js";
import type { PathEvent } from "../../provider/src/transport/pathEvents.js";
import { effectivePort, resolveProxy } from "../../provider/src/transport/proxyConfig.js";
import { CLEAR_BASIC_WARNING, describeEvents, formatReport } from "../../provider/src/cli/probe.js";
import { parseCommandLine } from "../../provider/src/cli/args.js";
import { generateTlsMaterial, type TlsMaterial } from "../../provider/src/testing/index.js";
import { PASSWORD, USER, startFixture, type Fixture } from "./clientFixture.js";
import { RecordingProxy, SOAP_MARKERS, assertNothingLeaked, findLeaks, secretForms } from "../peers/recordingProxy.js";

const PROXY_USER = "proxyuser";
const PROXY_PASSWORD = "Pr0xy-Secret-9q!";
const OUTPUT_MARKER = "confidential-output-51c3";
const PROXY_NAME = "recording-proxy.test";

type ProxyField = Exclude<ConnectionInput["proxy"], undefined | "none" | "env">;

interface Run {
  stdout: string;
  events: PathEvent[];
}

async function runThrough(connection: ConnectionInput): Promise<Run> {
  const events: PathEvent[] = [];
  const client = new WinRMClient(connection, { observer: (e) => events.push(e) });
  try {
    const r = await client.run(`echo ${OUTPUT_MARKER}`);
    assert.equal(r.exitCode, 0);
    return { stdout: r.stdout, events };
  } finally {
    await client.close();
  }
}

function eventsOf<T extends PathEvent["type"]>(events: PathEvent[], type: T): Extract<PathEvent, { type: T }>[] {
  return events.filter((e): e is Extract<PathEvent, { type: T }> => e.type === type);
}

/** Text an eavesdropper between client and proxy must never see. */
function clearTextForms(): { label: string; bytes: Buffer }[] {
  const basic = Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`, "utf8").toString("base64");
  return [
    ...secretForms(PROXY_PASSWORD),
    ...secretForms(PASSWORD),
    ...SOAP_MARKERS,
    { label: "Proxy-Authorization header", bytes: Buffer.from("Proxy-Authorization", "latin1") },
    { label: "proxy-authorization header", bytes: Buffer.from("proxy-authorization", "latin1") },
    { label: "Basic credentials (base64)", bytes: Buffer.from(basic, "latin1") },
    { label: "CONNECT head", bytes: Buffer.from("CONNECT ", "latin1") },
    { label: "command output", bytes: Buffer.from(OUTPUT_MARKER, "latin1") },
  ];
}

void describe("https:// proxy (TLS to the proxy)", () => {
  let http: Fixture;
  let https: Fixture;
  let material: TlsMaterial;
  let rec: RecordingProxy;
  let recBasic: RecordingProxy;

  const proxyTls = () => ({ ca: material.caPem });
  const viaHttp = (proxy: ProxyField): ConnectionInput => ({ ...http.connection, proxy });
  const viaHttps = (proxy: ProxyField): ConnectionInput => ({ ...https.connection, proxy });

  before(async () => {
    material = await generateTlsMaterial({ dnsNames: [PROXY_NAME] });
    [http, https] = await Promise.all([startFixture("win2019"), startFixture("win2019", { tls: true, cbtHardening: "Strict" })]);
    const tls = { certPem: material.certPem, keyPem: material.keyPem };
    [rec, recBasic] = await Promise.all([
      RecordingProxy.start({ tls }),
      RecordingProxy.start({ tls, basicAuth: { username: PROXY_USER, password: PROXY_PASSWORD } }),
    ]);
  });
  after(async () => {
    await Promise.allSettled([rec?.close(), recBasic?.close()]);
    await Promise.allSettled([http?.client.close(), https?.client.close(), http?.emu.close(), https?.emu.close()]);
  });

  void test("Basic proxy auth + https:// target: nothing readable on the wire, the proxy reads its credentials, host CBT intact", async () => {
    recBasic.reset();
    const start = https.emu.requests.length;
    assert.ok(recBasic.url.startsWith("https://"));
    const r = await runThrough(
      viaHttps({ url: recBasic.url, auth: "basic", username: PROXY_USER, password: PROXY_PASSWORD, tls: proxyTls() }),
    );
    assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);

    // On the network between client and proxy: TLS records only (RFC 8446 5.1: a handshake record, 0x16, first).
    assert.ok(recBasic.wire.length > 0);
    for (const conn of recBasic.wire) assert.equal(Buffer.concat(conn)[0], 0x16, "the client starts with a TLS handshake");
    assert.deepEqual(findLeaks(recBasic.wireBytes(), clearTextForms()), []);

    // Inside the proxy's TLS, the proxy itself got the CONNECT with the right Basic credentials (so the check above
    // looked at a connection that did carry them), and TLS to the host started inside the tunnel.
    const connects = recBasic.requests.filter((q) => q.method === "CONNECT");
    assert.ok(connects.some((q) => q.outcome === "relayed" && q.headers.some(([k]) => /^proxy-authorization$/i.test(k))));
    assert.ok(findLeaks(recBasic.bytes("up"), [{ label: "p-a", bytes: Buffer.from("Proxy-Authorization") }]).length === 1);
    for (const c of recBasic.connections.filter((c) => c.tunnel !== undefined)) {
      assert.equal(Buffer.concat(c.up)[c.tunnelUpOffset ?? -1], 0x16, "TLS to the host inside the tunnel");
    }
    // ... and even the proxy, behind its own TLS termination, sees no target password, SOAP or output.
    assertNothingLeaked(recBasic, { passwords: [PASSWORD] });

    // Two TLS sessions, two certificates: the proxy's (announced as proxy-tls) and the host's (tls, with bindings).
    const proxyTlsEvents = eventsOf(r.events, "proxy-tls");
    assert.ok(proxyTlsEvents.length >= 1);
    assert.match(proxyTlsEvents[0]?.subject ?? "", new RegExp(PROXY_NAME.replace(/\./g, "\\.")));
    assert.match(proxyTlsEvents[0]?.protocol ?? "", /^TLSv1\.[23]$/);
    const hostTls = eventsOf(r.events, "tls");
    assert.ok(hostTls.length >= 1 && hostTls.every((e) => e.channelBindings && /localhost/.test(e.subject) && !e.subject.includes(PROXY_NAME)));
    assert.equal(eventsOf(r.events, "connect").find((e) => e.status === 200)?.proxyAuth, "Basic");

    // CbtHardeningLevel Strict accepted the NTLM AUTHENTICATE: its channel bindings are those of the host's certificate,
    // not the proxy's (a proxy-certificate hash would be a CBT mismatch and a 401).
    const soap = https.emu.requests.slice(start).filter((e) => e.action !== undefined);
    assert.ok(soap.length >= 4 && soap.every((e) => e.status === 200 && e.user !== undefined), JSON.stringify(soap));
  });

  void test("http:// target through CONNECT inside the proxy's TLS, NTLM sealing", async () => {
    rec.reset();
    const start = http.emu.requests.length;
    const r = await runThrough(viaHttp({ url: rec.url, mode: "tunnel", tls: proxyTls() }));
    assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);
    assert.equal(eventsOf(r.events, "route")[0]?.route, "tunnel");
    assert.equal(eventsOf(r.events, "proxy-tls").length >= 1, true);
    // No TLS with the host, so no host TLS event and no channel bindings from the proxy's certificate.
    assert.deepEqual(eventsOf(r.events, "tls"), []);
    assert.ok(rec.connections.some((c) => c.tunnel === `127.0.0.1:${new URL(http.emu.url).port}`));
    const soap = http.emu.requests.slice(start).filter((e) => e.action !== undefined);
    assert.ok(soap.length >= 4 && soap.every((e) => e.encrypted && e.user === USER), JSON.stringify(soap));
    assert.deepEqual(findLeaks(rec.wireBytes(), clearTextForms()), []);
    assertNothingLeaked(rec, { passwords: [PASSWORD] });
  });

  void test("forward mode: the absolute-form requests travel inside the proxy's TLS", async () => {
    rec.reset();
    const r = await runThrough(viaHttp({ url: rec.url, mode: "forward", tls: proxyTls() }));
    assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);
    assert.equal(eventsOf(r.events, "route")[0]?.route, "forward");
    assert.ok(eventsOf(r.events, "proxy-tls").length >= 1);
    const absolute = Buffer.from(`POST http://127.0.0.1:${new URL(http.emu.url).port}/wsman`, "latin1");
    assert.ok(rec.bytes("up").includes(absolute), "the proxy read absolute-form requests");
    assert.ok(!rec.wireBytes().includes(absolute), "nobody else on the path did");
    assert.deepEqual(findLeaks(rec.wireBytes(), clearTextForms()), []);
  });

  void test("proxy certificate not trusted: ConnectionError naming proxy.tls.ca, nothing but the TLS handshake sent", async () => {
    recBasic.reset();
    const start = https.emu.requests.length;
    const events: PathEvent[] = [];
    const client = new WinRMClient(
      // No proxy.tls.ca: the system CAs do not know the test CA. The host's tls.ca (fixture) must not be used for the proxy.
      viaHttps({ url: recBasic.url, auth: "basic", username: PROXY_USER, password: PROXY_PASSWORD }),
      { observer: (e) => events.push(e) },
    );
    try {
      await assert.rejects(client.run("hostname"), (err: unknown) => {
        assert.ok(err instanceof ConnectionError, String(err));
        assert.match(err.message, /proxy\.tls\.ca/);
        assert.doesNotMatch(err.message, new RegExp(PROXY_PASSWORD.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
        return true;
      });
    } finally {
      await client.close();
    }
    assert.equal(recBasic.connections.length, 0, "no TLS session with the proxy was established");
    assert.ok(recBasic.wire.length >= 1);
    assert.deepEqual(findLeaks(recBasic.wireBytes(), clearTextForms()), []);
    assert.equal(https.emu.requests.length, start, "nothing reached the host");
    assert.ok(eventsOf(events, "connect").length === 0 && eventsOf(events, "proxy-tls").length === 0);
  });

  void test("proxy.tls.serverName is the name checked in the proxy's certificate", async () => {
    rec.reset();
    // 127.0.0.1 is in the certificate's SAN; a name that is not fails, the right one works.
    await assert.rejects(
      runThrough(viaHttp({ url: rec.url, mode: "tunnel", tls: { ca: material.caPem, serverName: "other.test" } })),
      (err: unknown) => err instanceof ConnectionError && /proxy\.tls\.serverName/.test(err.message),
    );
    const r = await runThrough(viaHttp({ url: rec.url, mode: "tunnel", tls: { ca: material.caPem, serverName: PROXY_NAME } }));
    assert.equal(r.stdout, `${OUTPUT_MARKER}\r\n`);
  });

  void test('"env": HTTPS_PROXY=https://... means TLS to the proxy, verified against the system CAs', async () => {
    recBasic.reset();
    const env = { HTTPS_PROXY: `https://${PROXY_USER}:${encodeURIComponent(PROXY_PASSWORD)}@127.0.0.1:${recBasic.port}` };
    const resolved = resolveProxy(new URL(https.emu.url), "env", env);
    assert.equal(resolved?.url.protocol, "https:");
    assert.equal(resolved?.tls?.rejectUnauthorized, true);
    assert.deepEqual(resolved?.tls?.ALPNProtocols, ["http/1.1"]);
    const client = new WinRMClient({ ...https.connection, proxy: "env" }, { env });
    try {
      await assert.rejects(client.run("hostname"), (err: unknown) => err instanceof ConnectionError && /proxy\.tls\.ca/.test(err.message));
    } finally {
      await client.close();
    }
    assert.deepEqual(findLeaks(recBasic.wireBytes(), clearTextForms()), []);
    assert.equal(recBasic.requests.length, 0);
  });
});

void describe("https:// proxy configuration", () => {
  const base = { endpoint: "https://h:5986/wsman", auth: { mechanism: "negotiate" as const, username: "u", password: "p" } };

  void test("https:// proxy URLs are accepted, default port 443", () => {
    const c = parseConnection({ ...base, proxy: { url: "https://proxy.example" } });
    assert.ok(typeof c.proxy === "object");
    assert.equal(effectivePort(new URL(c.proxy.url)), 443);
    const p = resolveProxy(new URL(c.endpoint), c.proxy, {});
    assert.deepEqual(p?.tls, { servername: "proxy.example", rejectUnauthorized: true, ALPNProtocols: ["http/1.1"] });
  });

  void test("proxy.tls: only with https://, PEM checked, field-and-fix errors", () => {
    const fails = (proxy: unknown, field: string, fix: RegExp) =>
      assert.throws(
        () => parseConnection({ ...base, proxy }),
        (e: unknown) => e instanceof ConfigurationError && e.message.includes(field) && fix.test(e.message),
      );
    fails({ url: "http://p:3128", tls: { serverName: "p" } }, "proxy.tls", /https:\/\//);
    fails({ url: "https://p", tls: { ca: "not a pem" } }, "proxy.tls.ca", /PEM/);
    fails({ url: "https://p", tls: { rejectUnauthorized: "no" } }, "proxy.tls.rejectUnauthorized", /true \(default\) or false/);
    fails({ url: "https://p", tls: { cert: "x" } }, "proxy.tls", /unknown field/);
    fails({ url: "socks4://p:1080" }, "proxy.url", /socks5:\/\//); // SOCKS5 is accepted: test/integration/socks-client.test.ts
  });

  void test("CLI: --proxy-ca and --proxy-server-name need an https:// proxy", () => {
    const common = ["identify", "--endpoint", "https://h:5986/wsman", "--username", "u", "--password-env", "P"];
    assert.throws(() => parseCommandLine([...common, "--proxy", "http://p:3128", "--proxy-ca", "/x.pem"]), /https:\/\/ proxy only/);
    const ok = parseCommandLine([...common, "--proxy", "https://p", "--proxy-ca", "/x.pem", "--proxy-server-name", "p.example"]);
    assert.ok(ok.kind === "identify");
    assert.equal(ok.connection.proxyCa, "/x.pem");
    assert.equal(ok.connection.proxyServerName, "p.example");
  });

  void test("probe: a warning (not a failure) for Basic proxy credentials to an http:// proxy, none for https://", () => {
    const connect = (proxy: string): PathEvent => ({ type: "connect", proxy, target: "h:5986", status: 200, legs: 2, proxyAuth: "Basic", reconnected: false });
    const clear = describeEvents([connect("http://p:3128")]);
    const warn = clear.find((s) => s.warning === true);
    assert.ok(warn !== undefined && warn.ok);
    assert.ok(warn.detail.startsWith(CLEAR_BASIC_WARNING));
    assert.match(formatReport({ endpoint: "https://h:5986/wsman", ok: true, steps: clear, events: [] }), /WARN {2}proxy auth/);
    assert.equal(describeEvents([connect("https://p:443")]).some((s) => s.warning === true), false);
    const ntlm = describeEvents([{ type: "connect", proxy: "http://p:3128", target: "h:5986", status: 200, legs: 3, proxyAuth: "NTLM", reconnected: false }]);
    assert.equal(ntlm.some((s) => s.warning === true), false);
    const tlsStep = describeEvents([
      { type: "proxy-tls", proxy: "https://p:443", protocol: "TLSv1.3", subject: "CN=p", issuer: "CN=ca", validTo: "x" },
    ])[0];
    assert.ok(tlsStep?.ok === true && tlsStep.step === "proxy tls" && tlsStep.detail.includes("TLSv1.3") && tlsStep.detail.includes("CN=ca"));
  });
});
