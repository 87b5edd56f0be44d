/**
 * The dynamic-provider shims capture nothing: serialized the way @pulumi/pulumi's dynamic.Resource does it
 * (runtime.serializeFunction(() => provider, { allowSecrets: true })), each one is its six methods and a
 * string-literal require of the installed provider package, and nothing else from this module's scope.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { copyToRemoteShim, remoteCommandShim, winHttpProxySettingShim, winRMProxyConfigShim } from "../../sdk/src/shim.js";

const SHIMS = {
  WinHttpProxySetting: winHttpProxySettingShim,
  WinRMProxyConfig: winRMProxyConfigShim,
  RemoteCommand: remoteCommandShim,
  CopyToRemote: copyToRemoteShim,
} as const;

const METHODS = ["check", "diff", "create", "read", "update", "delete"] as const;

/** Run the serialized module text the way require-from-string does, with our own `require`. */
function load(text: string, requireFn: (id: string) => unknown): { handler: () => Record<string, (...a: unknown[]) => Promise<unknown>> } {
  const module = { exports: {} as Record<string, unknown> };
  // Sloppy-mode function: the serialized closures use `with` blocks, as they do under Module._compile.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const fn = new Function("exports", "require", "module", text) as (e: unknown, r: unknown, m: unknown) => void;
  fn(module.exports, requireFn, module);
  return module.exports as ReturnType<typeof load>;
}

describe("SDK shims serialize to a closure that captures nothing", () => {
  for (const [type, shim] of Object.entries(SHIMS)) {
    test(type, async () => {
      // As dynamic.Resource's serializeProvider does: `() => provider`, where `provider` is the shim.
      const provider = shim;
      const name = "provider";
      const { text, containsSecrets } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
      assert.equal(containsSecrets, false);

      // Every `with({...})` scope holds only the shim object itself (captured as `provider`) (plus this/arguments, always present).
      const scopes = [...text.matchAll(/with\(\{([^}]*)\}\)/g)].map((m) => m[1] ?? "");
      assert.ok(scopes.length >= 7, "one scope per method plus the outer arrow");
      for (const scope of scopes) {
        const names = scope.split(",").map((p) => p.split(":")[0]?.trim()).filter((n) => n !== undefined && n !== "");
        for (const n of names) assert.ok(["this", "arguments", name].includes(n ?? ""), `captured ${n ?? ""}`);
      }
      // Top-level declarations: the exported handler, the shim object, and the method functions. Nothing else.
      const vars = [...text.matchAll(/^var (\S+) =/gm)].map((m) => m[1]);
      assert.deepEqual(vars, [`__${name}`]);
      const fns = [...text.matchAll(/^function (__f\d+)\(/gm)].map((m) => m[1]);
      assert.equal(fns.length, METHODS.length + 1);

      // The only require is the string literal of the installed provider, once per method.
      const requires = [...text.matchAll(/require\(([^)]*)\)/g)].map((m) => m[1]);
      assert.deepEqual(requires, METHODS.map(() => '"pulumi-winrm-proxy/provider"'));
      for (const m of METHODS) assert.ok(text.includes(`resourceProviders.${type}.${m}(`), `${m} delegates to ${type}`);
      // Small and stable: no library code was inlined.
      assert.ok(text.length < 4000, `serialized shim is ${text.length} characters`);

      // Executed, each method hands its plain arguments to the installed provider's function and returns its result.
      const calls: { method: string; args: unknown[] }[] = [];
      const fake = {
        resourceProviders: {
          [type]: Object.fromEntries(
            METHODS.map((m) => [m, async (...args: unknown[]) => (calls.push({ method: m, args }), { from: m })]),
          ),
        },
      };
      const handler = load(text, (id) => {
        assert.equal(id, "pulumi-winrm-proxy/provider");
        return fake;
      }).handler();
      const olds = { a: 1 };
      const news = { b: "x" };
      assert.deepEqual(await handler.check?.(olds, news), { from: "check" });
      assert.deepEqual(await handler.diff?.("id-1", olds, news), { from: "diff" });
      assert.deepEqual(await handler.create?.(news), { from: "create" });
      assert.deepEqual(await handler.read?.("id-1", olds), { from: "read" });
      assert.deepEqual(await handler.update?.("id-1", olds, news), { from: "update" });
      assert.deepEqual(await handler.delete?.("id-1", olds), { from: "delete" });
      assert.deepEqual(
        calls.map((c) => [c.method, c.args]),
        [
          ["check", [olds, news]],
          ["diff", ["id-1", olds, news]],
          ["create", [news]],
          ["read", ["id-1", olds]],
          ["update", ["id-1", olds, news]],
          ["delete", ["id-1", olds]],
        ],
      );
    });
  }
});
