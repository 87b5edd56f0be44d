/**
 * The SDK classes under @pulumi/pulumi's mocks: the type tokens, the serialized shim in `__provider`, the connection
 * stored as a secret, and output-only properties not sent as inputs.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];

before(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
      },
      call: () => ({}),
    },
    "project",
    "stack",
    false,
  );
});

function unwrap<T>(o: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  return new Promise((resolve) => {
    void pulumi.isSecret(o).then((secret) => o.apply((value) => resolve({ value, secret })));
  });
}

describe("SDK resources", () => {
  test("each class registers its dynamic type with the shim and a secret connection", async () => {
    const sdk = await import("../../sdk/src/index.js");
    const connection = { endpoint: "http://10.0.0.5:5985/wsman", auth: { username: "CORP\\deploy", password: "pw" } };
    const cfg = new sdk.WinRMProxyConfig("cfg", { connection });
    const w = new sdk.WinHttpProxySetting("w", { connection: cfg.connection, proxyServer: "p:3128", bypassList: ["<local>"] });
    const c = new sdk.RemoteCommand("c", { connection, create: "echo hi", triggers: [1] });
    const conn = await unwrap(w.connection);
    assert.equal(conn.secret, true);
    assert.deepEqual(conn.value, connection);
    assert.equal((await unwrap(c.connection)).secret, true);
    assert.equal((await unwrap(w.proxyServer)).value, "p:3128");

    const types = Object.fromEntries(registered.map((r) => [r.name, r]));
    assert.equal(types.cfg?.type, "pulumi-nodejs:dynamic/winrm-proxy:WinRMProxyConfig");
    assert.equal(types.w?.type, "pulumi-nodejs:dynamic/winrm-proxy:WinHttpProxySetting");
    assert.equal(types.c?.type, "pulumi-nodejs:dynamic/winrm-proxy:RemoteCommand");
    for (const r of registered) {
      const text = String(r.inputs.__provider);
      assert.match(text, /require\("pulumi-winrm-proxy\/provider"\)\.resourceProviders\./);
      // Output-only properties are not inputs.
      assert.ok(!("stdout" in r.inputs) && !("schemaVersion" in r.inputs) && !("previous" in r.inputs));
    }
    assert.deepEqual(types.c?.inputs.triggers, [1]);
  });
});
