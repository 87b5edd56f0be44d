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

  test("CopyToRemote: a path, a FileAsset or a FileArchive all send the local path as `source`", async () => {
    const sdk = await import("../../sdk/src/index.js");
    const connection = { endpoint: "http://10.0.0.5:5985/wsman", auth: { username: "CORP\\deploy", password: "pw" } };
    const byPath = new sdk.CopyToRemote("copy-path", { connection, source: "./site", remotePath: "C:\\site" });
    const byAsset = new sdk.CopyToRemote("copy-asset", { connection, source: new pulumi.asset.FileAsset("./app.zip"), remotePath: "C:\\app.zip" });
    const byArchive = new sdk.CopyToRemote("copy-archive", { connection, source: new pulumi.asset.FileArchive("./dist"), remotePath: "C:\\dist" });
    assert.equal((await unwrap(byPath.source)).value, "./site");
    assert.equal((await unwrap(byAsset.source)).value, "./app.zip");
    assert.equal((await unwrap(byArchive.source)).value, "./dist");
    assert.equal((await unwrap(byArchive.connection)).secret, true);
    const r = registered.find((x) => x.name === "copy-asset");
    assert.equal(r?.type, "pulumi-nodejs:dynamic/winrm-proxy:CopyToRemote");
    assert.equal(r?.inputs.source, "./app.zip");
    assert.match(String(r?.inputs.__provider), /resourceProviders\.CopyToRemote\.create/);
    assert.ok(!("contentHash" in (r?.inputs ?? {})) && !("files" in (r?.inputs ?? {})));
  });
});
