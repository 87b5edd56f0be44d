// The native provider's pieces that need no host: secrets on the RPC, the connection from the provider's
// configuration, detailed diffs by property path, the host guard, and the package schema generated from zod.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { connectionSchema } from "../../provider/src/connection.js";
import { ConfigurationError } from "../../provider/src/errors.js";
import { checkConfig, connectionFromConfig, inputsFromVariables } from "../../provider/src/native/providerConfig.js";
import { ResourceBridge, resourceTypeOfUrn } from "../../provider/src/native/resourceBridge.js";
import { changedLeaves } from "../../provider/src/resources/types.js";
import { packageSchema } from "../../provider/src/native/schema.js";
import { isSecretValue, secretValue, unwrapSecrets, wrapSecrets } from "../../provider/src/native/secrets.js";
import { remoteCommandInputs } from "../../provider/src/resources/schemas.js";

const PASSWORD = "Unit-Passw0rd-3f9a!";
const connection = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  endpoint: "http://legacy-02.corp.example:5985/wsman",
  auth: { mechanism: "ntlm", username: "CORP\\deploy", password: PASSWORD },
  ...over,
});
/** A stored WinHttpProxySetting state (what create returns), without connection: it came from the provider. */
const winHttpState = (endpoint = "http://legacy-02.corp.example:5985/wsman"): Record<string, unknown> => ({
  schemaVersion: 1,
  endpoint,
  proxyServer: "proxy.corp.example:8080",
  bypassList: "<local>",
  directAccess: false,
  importFromIe: false,
  onDelete: "restore",
  accessType: "proxy",
  expected: { accessType: "proxy", proxyServer: "proxy.corp.example:8080", bypassList: "<local>" },
  previous: { exists: false, accessType: "direct", proxyServer: "", bypassList: "" },
  tool: "netsh",
  productVersion: "OS: 6.0.6001 SP: 1.0 Stack: 1.1",
  declared: { proxyServer: "proxy.corp.example:8080", bypassList: "<local>" },
});

describe("secrets on the provider RPC", () => {
  test("unwrap finds every secret by path; wrap puts them back at the same paths", () => {
    const raw = { connection: { endpoint: "e", auth: { username: "u", password: secretValue(PASSWORD) } }, stdin: secretValue("s"), list: ["a", secretValue("b")] };
    const { plain, secretPaths } = unwrapSecrets(raw);
    assert.deepEqual(plain, { connection: { endpoint: "e", auth: { username: "u", password: PASSWORD } }, stdin: "s", list: ["a", "b"] });
    assert.deepEqual(secretPaths, [["connection", "auth", "password"], ["stdin"], ["list", 1]]);
    assert.deepEqual(wrapSecrets(plain as Record<string, unknown>, secretPaths), raw);
  });

  test("wrapping skips paths that do not exist and never wraps twice", () => {
    const v = wrapSecrets({ a: { b: 1 } }, [["a", "c"], ["x", "y"], ["a", "b"], ["a"]]);
    assert.ok(isSecretValue(v.a));
    assert.deepEqual((v.a as { value: unknown }).value, { b: 1 }, "a child wrapped inside a wrapped parent");
  });
});

describe("provider configuration = a connection", () => {
  test("Configure's variables decode to the connection; engine keys are not configuration", () => {
    const inputs = inputsFromVariables([
      ["winrmproxy:endpoint", "https://web-01:5986/wsman"],
      ["winrmproxy:auth", JSON.stringify({ username: "u", password: "p" })],
      ["winrmproxy:proxy", "env"],
      ["winrmproxy:version", "0.1.0"],
    ]);
    assert.deepEqual(connectionFromConfig(inputs), { endpoint: "https://web-01:5986/wsman", auth: { username: "u", password: "p" }, proxy: "env" });
    assert.equal(connectionFromConfig({ version: "0.1.0" }), undefined);
  });

  test("CheckConfig names the field by its path and the fix, never the value", () => {
    assert.deepEqual(checkConfig({}), [], "an empty configuration is valid (resources bring their own connection)");
    const [f] = checkConfig({ endpoint: "ftp://host", auth: { username: "u", password: PASSWORD } });
    assert.equal(f?.property, "endpoint");
    assert.match(f?.reason ?? "", /http:\/\/ or https:\/\//);
    const [g] = checkConfig({ endpoint: "http://h:5985/wsman", auth: { mechanism: "ntlm", username: "u" } });
    assert.equal(g?.property, "auth.password");
    const [h] = checkConfig({ endpoint: "http://h:5985/wsman", auth: { username: "u", password: PASSWORD }, proxy: { url: "http://p:3128", auth: "bogus" } });
    assert.equal(h?.property, "proxy.auth");
    assert.ok(!JSON.stringify([f, g, h]).includes(PASSWORD));
  });
});

describe("ResourceBridge: the connection, check and diff", () => {
  const withProvider = new ResourceBridge(() => connection());
  const without = new ResourceBridge(() => undefined);

  test("resource types come from the URN", () => {
    assert.equal(resourceTypeOfUrn("urn:pulumi:s::p::winrmproxy:index:RemoteCommand::cmd"), "RemoteCommand");
    assert.throws(() => resourceTypeOfUrn("urn:pulumi:s::p::winrmproxy:index:Nope::x"), /unknown resource type/);
  });

  test("check: no connection and no provider configuration fails naming connection and both fixes", async () => {
    const r = await without.check("WinHttpProxySetting", {}, { proxyServer: "proxy.corp.example:8080" });
    const f = r.failures.find((x) => x.property === "connection");
    assert.ok(f, JSON.stringify(r.failures));
    assert.match(f.reason, /connection input/);
    assert.match(f.reason, /pulumi:providers:winrmproxy/);
  });

  test("check: the provider's connection stands in, and is not copied into the resource's inputs", async () => {
    const r = await withProvider.check("WinHttpProxySetting", {}, { proxyServer: "proxy.corp.example:8080" });
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.inputs, { proxyServer: "proxy.corp.example:8080" });
  });

  test("check: an own connection wins, and its password comes back secret even when the program did not mark it", async () => {
    const own = connection({ endpoint: "http://other:5985/wsman" });
    const r = await withProvider.check("WinHttpProxySetting", {}, { connection: own, proxyServer: "p:1" });
    const c = r.inputs.connection as { endpoint: string; auth: { password: unknown } };
    assert.equal(c.endpoint, "http://other:5985/wsman");
    assert.ok(isSecretValue(c.auth.password));
    assert.equal((c.auth.password as { value: unknown }).value, PASSWORD);
  });

  test("diff: a rotated password of an own connection is named by its path, updates in place, shows no value", async () => {
    const state = { ...winHttpState(), connection: connection() };
    const news = { connection: connection({ auth: { mechanism: "ntlm", username: "CORP\\deploy", password: secretValue("Rotated-1!") } }), proxyServer: "proxy.corp.example:8080", bypassList: "<local>" };
    const d = await without.diff("WinHttpProxySetting", "winhttp:x", state, news);
    assert.deepEqual(Object.keys(d.detailedDiff), ["connection.auth.password"]);
    assert.equal(d.detailedDiff["connection.auth.password"]?.kind, "update");
    assert.deepEqual(d.replaces, []);
    assert.ok(!JSON.stringify(d).includes("Rotated-1!") && !JSON.stringify(d).includes(PASSWORD));
  });

  test("diff: another endpoint replaces, named connection.endpoint", async () => {
    const state = { ...winHttpState(), connection: connection() };
    const news = { connection: connection({ endpoint: "http://legacy-03.corp.example:5985/wsman" }), proxyServer: "proxy.corp.example:8080", bypassList: "<local>" };
    const d = await without.diff("WinHttpProxySetting", "winhttp:x", state, news);
    assert.equal(d.detailedDiff["connection.endpoint"]?.kind, "update-replace");
    assert.deepEqual(d.replaces, ["connection.endpoint"]);
  });

  test("diff: with the connection from the provider, nothing changes until the program does; a moved provider replaces", async () => {
    const same = await withProvider.diff("WinHttpProxySetting", "winhttp:x", winHttpState(), { proxyServer: "proxy.corp.example:8080", bypassList: "<local>" });
    assert.equal(same.changes, false, JSON.stringify(same));
    const moved = await withProvider.diff("WinHttpProxySetting", "winhttp:x", winHttpState("http://elsewhere:5985/wsman"), {
      proxyServer: "proxy.corp.example:8080",
      bypassList: "<local>",
    });
    assert.deepEqual(moved.replaces, ["connection.endpoint"]);
    const changed = await withProvider.diff("WinHttpProxySetting", "winhttp:x", winHttpState(), { proxyServer: "other.corp.example:3128", bypassList: "<local>" });
    assert.deepEqual(Object.keys(changed.detailedDiff), ["proxyServer"]);
  });

  test("read and delete refuse to act on another host than the one the resource lives on", async () => {
    const state = winHttpState("http://elsewhere:5985/wsman");
    await assert.rejects(withProvider.delete("WinHttpProxySetting", "winhttp:http://elsewhere:5985/wsman", state), (e: unknown) => {
      assert.ok(e instanceof ConfigurationError);
      assert.equal(e.field, "connection.endpoint");
      return true;
    });
    await assert.rejects(withProvider.read("WinHttpProxySetting", "winhttp:http://elsewhere:5985/wsman", state, {}), /provider now connects to/);
  });

  test("changedLeaves names leaves with their kind", () => {
    assert.deepEqual(changedLeaves({ a: { b: 1, c: 2 } }, { a: { b: 1, d: 3 } }), [
      { path: ["a", "c"], kind: "delete" },
      { path: ["a", "d"], kind: "add" },
    ]);
  });
});

describe("the package schema, from the zod schemas", () => {
  const schema = packageSchema("0.1.0") as {
    name: string;
    config: { variables: Record<string, unknown> };
    resources: Record<string, { inputProperties: Record<string, { description?: string; $ref?: string }>; requiredInputs?: string[]; properties: Record<string, unknown> }>;
    types: Record<string, { properties?: Record<string, { description?: string; secret?: boolean; $ref?: string }>; required?: string[]; enum?: { value: unknown }[] }>;
  };

  test("four resources; connection optional (the provider's stands in); required inputs from zod", () => {
    assert.equal(schema.name, "winrmproxy");
    assert.deepEqual(Object.keys(schema.resources).sort(), [
      "winrmproxy:index:CopyToRemote",
      "winrmproxy:index:RemoteCommand",
      "winrmproxy:index:WinHttpProxySetting",
      "winrmproxy:index:WinRMProxyConfig",
    ]);
    const rc = schema.resources["winrmproxy:index:RemoteCommand"];
    assert.deepEqual(rc?.requiredInputs, undefined, "create is optional, as in @pulumi/command");
    assert.equal(rc?.inputProperties.connection?.$ref, "#/types/winrmproxy:index:Connection");
    // Every zod input is a schema input, with the zod description.
    const zodShape = remoteCommandInputs.shape;
    assert.deepEqual(Object.keys(rc?.inputProperties ?? {}).sort(), Object.keys(zodShape).sort());
    assert.equal(rc?.inputProperties.shell?.description, zodShape.shell.description);
  });

  test("the provider's configuration is the connection; every password is secret; descriptions are zod's", () => {
    assert.deepEqual(Object.keys(schema.config.variables).sort(), Object.keys(connectionSchema.shape).sort());
    const auth = schema.types["winrmproxy:index:ConnectionAuth"];
    assert.equal(auth?.properties?.password?.secret, true);
    assert.equal(schema.types["winrmproxy:index:ConnectionProxy"]?.properties?.password?.secret, true);
    assert.equal(auth?.properties?.username?.secret, undefined);
    assert.deepEqual(auth?.required, undefined, "username is optional: the Kerberos ticket cache names the principal");
    const zodAuth = z.toJSONSchema(connectionSchema, { io: "input" }) as unknown as { properties: { auth: { properties: { password: { description: string } } } } };
    assert.equal(auth?.properties?.password?.description, zodAuth.properties.auth.properties.password.description);
    assert.deepEqual(
      schema.types["winrmproxy:index:ConnectionAuthMechanism"]?.enum?.map((e) => e.value),
      ["negotiate", "ntlm", "basic", "kerberos", "credssp", "certificate"],
    );
    const tls = schema.types["winrmproxy:index:ConnectionTls"]?.properties;
    assert.equal(tls?.clientKey?.secret, true);
    assert.equal(tls?.clientKeyPassphrase?.secret, true);
    assert.equal(tls?.clientCertificate?.secret, undefined, "a certificate is public");
  });
});
