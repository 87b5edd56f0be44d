/**
 * transport/undiciClient.ts loads undici's Client and buildConnector from their own modules instead of undici's index
 * (which also loads fetch, WebSocket and the rest), and gives dispatchers their API as the index does. This checks
 * they are the very objects the index exports with the undici this project pins, so an undici release that moves or
 * replaces them fails here (in a user's process such a release only costs memory: undiciClient.ts then loads the
 * index).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { test } from "node:test";
import * as undici from "undici";

const require = createRequire(import.meta.url);

test("undici's Client and buildConnector modules are the ones its index exports", async () => {
  const ours = await import("../../provider/src/transport/undiciClient.js");
  assert.equal(ours.undiciLoadedFrom, "modules", "the light path, not the index fallback");
  assert.equal(ours.Client, undici.Client);
  assert.equal(ours.buildConnector, undici.buildConnector);
});

test("importing the client loads undici's Client, with request(), but not its index nor fetch", () => {
  // A fresh process: this one has loaded the index above.
  const client = new URL("../../provider/src/client.js", import.meta.url).href;
  const script =
    `await import(${JSON.stringify(client)}); const { createRequire } = await import("node:module"); ` +
    `const r = createRequire(import.meta.url); const api = r("undici/lib/api/index.js"); ` +
    `const p = r("undici/lib/dispatcher/client.js").prototype; ` +
    `if (p.request !== api.request || p.stream !== api.stream || typeof p.request !== "function") throw new Error("no API"); ` +
    `console.log(JSON.stringify(Object.keys(r.cache)));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
  const loaded = JSON.parse(out) as string[];
  assert.ok(loaded.some((f) => f.endsWith("/undici/lib/dispatcher/client.js")), "the Client module is loaded");
  assert.ok(!loaded.includes(require.resolve("undici")), "undici's index is not loaded");
  assert.ok(!loaded.some((f) => f.includes("/undici/lib/web/fetch/")), "fetch is not loaded");
});
