/**
 * The resource classes under @pulumi/pulumi's mocks: every output the generated class declares exists on the object
 * as an Output (also an optional input the program left out), and none of the provider-computed ones is sent as an
 * input.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";

const sent = new Map<string, Record<string, unknown>>();

before(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        sent.set(args.name, args.inputs as Record<string, unknown>);
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
      },
      call: () => ({}),
    },
    "project",
    "stack",
    false,
  );
});

test("each declared output is an Output on the resource; only the given inputs are sent", async () => {
  const sdk = await import("../../sdk/src/index.js");
  const { remoteCommandOutputNames } = await import("../../sdk/src/generated/remoteCommand.js");
  const { winHttpProxySettingOutputNames } = await import("../../sdk/src/generated/winHttpProxySetting.js");
  const { winRMProxyConfigOutputNames } = await import("../../sdk/src/generated/winRMProxyConfig.js");
  const connection = { endpoint: "http://10.0.0.5:5985/wsman", auth: { username: "CORP\\deploy", password: "pw" } };
  const resources: [pulumi.Resource, readonly string[], string[]][] = [
    [new sdk.RemoteCommand("c", { connection, create: "echo hi" }), remoteCommandOutputNames, ["connection", "create"]],
    [new sdk.WinHttpProxySetting("w", { connection, proxyServer: "p:3128" }), winHttpProxySettingOutputNames, ["connection", "proxyServer"]],
    [new sdk.WinRMProxyConfig("cfg", { connection }), winRMProxyConfigOutputNames, ["connection"]],
  ];
  for (const [resource, names, given] of resources) {
    for (const name of names) {
      assert.ok(pulumi.Output.isInstance((resource as unknown as Record<string, unknown>)[name]), `${name} is an Output`);
    }
    const name = (await new Promise<string>((r) => resource.urn.apply(r))).split("::").at(-1) ?? "";
    const inputs = Object.keys(sent.get(name) ?? {}).filter((k) => k !== "__provider").sort();
    assert.deepEqual(inputs, [...given].sort(), name);
  }
});
