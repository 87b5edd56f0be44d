// The native provider's gRPC service in this process, driven by the ResourceProviderClient of @pulumi/pulumi's
// generated protocol (what the engine speaks): plugin info, schema, CheckConfig / DiffConfig / Configure on the
// connection, secrets on the wire, a resource check that takes the connection from the configured provider, and a
// RemoteCommand's output lines sent to the engine's Log RPC (a fake Engine service here) with the URN while it runs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type * as pb from "@pulumi/pulumi/proto/provider_pb.js";
import { emptyproto, enginerpc, grpc, provproto, provrpc, structproto } from "../../provider/src/native/grpcRuntime.js";
import { SECRET_OUTPUT_NOTE } from "../../provider/src/native/resourceBridge.js";
import { isSecretValue, secretValue } from "../../provider/src/native/secrets.js";
import { serve } from "../../provider/src/native/server.js";
import { startHost } from "./resourcesHarness.js";

const PASSWORD = "Grpc-Passw0rd-0c1e!";
const URN = "urn:pulumi:dev::proj::winrmproxy:index:WinHttpProxySetting::legacy-02-winhttp";
const PROVIDER_URN = "urn:pulumi:dev::proj::pulumi:providers:winrmproxy::legacy-02";
const config = (password: unknown, endpoint = "http://legacy-02.corp.example:5985/wsman"): Record<string, unknown> => ({
  endpoint,
  auth: { mechanism: "ntlm", username: "CORP\\deploy", password },
  proxy: { url: "http://proxy.corp.example:3128" },
});
const struct = (v: Record<string, unknown>) => structproto.Struct.fromJavaScript(v as Parameters<typeof structproto.Struct.fromJavaScript>[0]);

type Client = InstanceType<typeof provrpc.ResourceProviderClient>;
/** One unary call as a promise. */
function call<Req, Res>(client: Client, method: string, req: Req): Promise<Res> {
  const fn = (client as unknown as Record<string, (r: Req, cb: (e: Error | null, res: Res) => void) => void>)[method];
  if (fn === undefined) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => fn.call(client, req, (e, res) => (e ? reject(e) : resolve(res))));
}

describe("native provider over gRPC", () => {
  let stop: () => Promise<void>;
  let client: Client;

  before(async () => {
    const s = await serve("0.1.0", [], () => undefined);
    stop = s.stop;
    client = new provrpc.ResourceProviderClient(`127.0.0.1:${s.port}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await stop();
  });

  test("plugin info and the schema", async () => {
    const info = await call<unknown, { getVersion(): string }>(client, "getPluginInfo", new emptyproto.Empty());
    assert.equal(info.getVersion(), "0.1.0");
    const schema = await call<pb.GetSchemaRequest, pb.GetSchemaResponse>(client, "getSchema", new provproto.GetSchemaRequest());
    const parsed = JSON.parse(schema.getSchema()) as { name: string; resources: Record<string, unknown> };
    assert.equal(parsed.name, "winrmproxy");
    assert.ok("winrmproxy:index:WinRMProxyConfig" in parsed.resources);
  });

  test("CheckConfig names a bad field by its path and returns the password secret", async () => {
    const bad = new provproto.CheckRequest().setUrn(PROVIDER_URN).setNews(struct({ endpoint: "http://h:5985/wsman", auth: { mechanism: "ntlm", username: "u" } }));
    const r1 = await call<pb.CheckRequest, pb.CheckResponse>(client, "checkConfig", bad);
    assert.deepEqual(r1.getFailuresList().map((f) => f.getProperty()), ["auth.password"]);
    const good = new provproto.CheckRequest().setUrn(PROVIDER_URN).setNews(struct(config(PASSWORD)));
    const r2 = await call<pb.CheckRequest, pb.CheckResponse>(client, "checkConfig", good);
    assert.deepEqual(r2.getFailuresList(), []);
    const inputs = r2.getInputs()?.toJavaScript() as { auth: { password: unknown } };
    assert.ok(isSecretValue(inputs.auth.password), "the password came back in clear");
  });

  test("DiffConfig: a rotated password is auth.password, an update; another endpoint replaces", async () => {
    const rotated = new provproto.DiffRequest()
      .setUrn(PROVIDER_URN)
      .setOlds(struct(config(secretValue(PASSWORD))))
      .setOldInputs(struct(config(secretValue(PASSWORD))))
      .setNews(struct(config(secretValue("Rotated-2!"))));
    const d1 = await call<pb.DiffRequest, pb.DiffResponse>(client, "diffConfig", rotated);
    assert.equal(d1.getChanges(), provproto.DiffResponse.DiffChanges.DIFF_SOME);
    assert.deepEqual([...d1.getDetaileddiffMap().keys()], ["auth.password"]);
    assert.equal(d1.getDetaileddiffMap().get("auth.password")?.getKind(), provproto.PropertyDiff.Kind.UPDATE);
    assert.deepEqual(d1.getReplacesList(), []);

    const moved = new provproto.DiffRequest()
      .setUrn(PROVIDER_URN)
      .setOlds(struct(config(PASSWORD)))
      .setOldInputs(struct(config(PASSWORD)))
      .setNews(struct(config(PASSWORD, "http://legacy-03.corp.example:5985/wsman")));
    const d2 = await call<pb.DiffRequest, pb.DiffResponse>(client, "diffConfig", moved);
    assert.deepEqual(d2.getReplacesList(), ["endpoint"]);

    const same = new provproto.DiffRequest().setUrn(PROVIDER_URN).setOlds(struct(config(PASSWORD))).setOldInputs(struct(config(PASSWORD))).setNews(struct(config(PASSWORD)));
    const d3 = await call<pb.DiffRequest, pb.DiffResponse>(client, "diffConfig", same);
    assert.equal(d3.getChanges(), provproto.DiffResponse.DiffChanges.DIFF_NONE);
  });

  test("a resource without connection checks against the configured provider's; without one it fails naming connection", async () => {
    const check = new provproto.CheckRequest().setUrn(URN).setOlds(struct({})).setNews(struct({ proxyServer: "proxy.corp.example:8080" }));
    const before = await call<pb.CheckRequest, pb.CheckResponse>(client, "check", check);
    assert.deepEqual(before.getFailuresList().map((f) => f.getProperty()), ["connection"]);

    const configure = new provproto.ConfigureRequest().setArgs(struct(config(secretValue(PASSWORD)))).setAcceptsecrets(true);
    const conf = await call<pb.ConfigureRequest, pb.ConfigureResponse>(client, "configure", configure);
    assert.equal(conf.getAcceptsecrets(), true);

    const after = await call<pb.CheckRequest, pb.CheckResponse>(client, "check", check);
    assert.deepEqual(after.getFailuresList().map((f) => `${f.getProperty()}: ${f.getReason()}`), []);
    assert.deepEqual(after.getInputs()?.toJavaScript(), { proxyServer: "proxy.corp.example:8080" });
  });

  test("a failing operation is an error naming the resource, never a password", async () => {
    // The id names another host than the configured provider's: read refuses before any connection is made.
    const read = new provproto.ReadRequest().setUrn(URN).setId("winhttp:http://other:5985/wsman").setProperties(struct({}));
    await assert.rejects(call(client, "read", read), (e: Error) => {
      assert.match(e.message, /WinHttpProxySetting::legacy-02-winhttp/);
      assert.match(e.message, /id/);
      assert.ok(!e.message.includes(PASSWORD));
      return true;
    });
  });
});

interface Logged {
  urn: string;
  message: string;
  at: number;
}

/** The engine's Log RPC, recording what the provider sends (the rest of the Engine service answers UNIMPLEMENTED). */
async function fakeEngine(): Promise<{ address: string; logged: Logged[]; stop: () => Promise<void> }> {
  const logged: Logged[] = [];
  const server = new grpc.Server();
  server.addService(enginerpc.EngineService, {
    log: (
      call: { request: { getUrn(): string; getMessage(): string } },
      callback: (e: null, r: InstanceType<typeof emptyproto.Empty>) => void,
    ) => {
      logged.push({ urn: call.request.getUrn(), message: call.request.getMessage(), at: Date.now() });
      callback(null, new emptyproto.Empty());
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return { address: `127.0.0.1:${port}`, logged, stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

describe("native provider: RemoteCommand output goes to the engine's log with the resource's URN as it arrives", () => {
  const COMMAND_URN = "urn:pulumi:dev::proj::winrmproxy:index:RemoteCommand::wait";

  test("each line is logged when it arrives; logging selects the streams; a secret command's output is never logged", async () => {
    const engine = await fakeEngine();
    const s = await serve("0.1.0", [engine.address], () => undefined);
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${s.port}`, grpc.credentials.createInsecure());
    const h = await startHost("win2019");
    const create = (props: Record<string, unknown>): Promise<pb.CreateResponse> =>
      call(client, "create", new provproto.CreateRequest().setUrn(COMMAND_URN).setProperties(struct({ connection: h.connection, ...props })));
    const replies = (): Logged[] => engine.logged.filter((l) => l.message.includes("Reply from 127.0.0.1"));
    try {
      // ping prints a reply a second: three lines, logged over about two seconds, before create returns.
      const started = Date.now();
      await create({ create: "ping -n 3 127.0.0.1 & echo oops 1>&2" });
      const done = Date.now();
      const lines = replies();
      assert.equal(lines.length, 3, JSON.stringify(engine.logged));
      for (const l of lines) {
        assert.equal(l.urn, COMMAND_URN);
        assert.ok(l.at >= started && l.at <= done);
      }
      const first = lines[0] as Logged;
      const last = lines[2] as Logged;
      assert.ok(last.at - first.at >= 1500, `the lines came together (${last.at - first.at} ms apart): not as they arrived`);
      assert.ok(engine.logged.some((l) => l.message.includes("(stderr): oops")), "stderr was not logged");

      // logging: stdout leaves stderr out; none logs no output at all.
      engine.logged.length = 0;
      await create({ create: "echo out-line & echo err-line 1>&2", logging: "stdout" });
      assert.ok(engine.logged.some((l) => l.message.includes(": out-line")));
      assert.ok(!engine.logged.some((l) => l.message.includes("err-line")));
      engine.logged.length = 0;
      await create({ create: "echo out-line & echo err-line 1>&2", logging: "none" });
      assert.ok(!engine.logged.some((l) => l.message.includes("-line")), JSON.stringify(engine.logged));

      // A secret input (here the command line): its output is secret, so only a note is logged.
      engine.logged.length = 0;
      await create({ create: secretValue("echo Secret-Token-5b1e") });
      assert.ok(!engine.logged.some((l) => l.message.includes("Secret-Token")), JSON.stringify(engine.logged));
      assert.ok(engine.logged.some((l) => l.message === SECRET_OUTPUT_NOTE && l.urn === COMMAND_URN));
    } finally {
      client.close();
      await s.stop();
      await h.close();
      await engine.stop();
    }
  });
});
