/**
 * undici's Client and connector, loaded from their own modules rather than undici's index, which also loads fetch,
 * WebSocket, EventSource, the caches, the interceptors and the mock agents: about 9 MB of a client process's RSS
 * that a WinRM client never uses.
 *
 * undici's index.js does three things this needs, and they are done here the same way: `Client =
 * require('./lib/dispatcher/client')`, `buildConnector = require('./lib/core/connect')`, and
 * `Object.assign(Dispatcher.prototype, api)` with `api = require('./lib/api')`, which gives every dispatcher its
 * `request()` (the same functions on the same prototype: loading the index later, as another library in the process
 * may, assigns them again, unchanged).
 *
 * Those file paths are undici's internals (its package.json has no "exports" map, so they can be required), and a
 * user's install may hold a newer undici within the dependency's range: when any of them is missing or not what it
 * was, the index is loaded instead, so the cost of a moved file is memory, never a broken client.
 * test/unit/undici-modules.test.ts checks that, with the undici this project pins, the light path is the one taken
 * and its objects are the ones the index exports.
 */
import { createRequire } from "node:module";
import type * as Undici from "undici";

const requireUndici = createRequire(import.meta.url);

interface UndiciParts {
  readonly Client: typeof Undici.Client;
  readonly buildConnector: typeof Undici.buildConnector;
  /** "modules": loaded from undici's own files; "index": the fallback. */
  readonly loadedFrom: "modules" | "index";
}

function loadParts(): UndiciParts {
  try {
    const dispatcher = requireUndici("undici/lib/dispatcher/dispatcher.js") as { prototype: object };
    const api = requireUndici("undici/lib/api/index.js") as { request?: unknown };
    const client = requireUndici("undici/lib/dispatcher/client.js") as typeof Undici.Client;
    const connector = requireUndici("undici/lib/core/connect.js") as typeof Undici.buildConnector;
    if (typeof api.request !== "function" || typeof client !== "function" || typeof connector !== "function") {
      throw new Error("undici's modules are not the expected shape");
    }
    Object.assign(dispatcher.prototype, api);
    if (!(client.prototype instanceof (dispatcher as unknown as new () => object))) {
      throw new Error("undici's Client is not a Dispatcher");
    }
    return { Client: client, buildConnector: connector, loadedFrom: "modules" };
  } catch {
    const undici = requireUndici("undici") as typeof Undici;
    return { Client: undici.Client, buildConnector: undici.buildConnector, loadedFrom: "index" };
  }
}

const parts = loadParts();

export const Client = parts.Client;
export type Client = Undici.Client;
export const buildConnector = parts.buildConnector;
/** Which way undici was loaded (for the test that holds the light path to the pinned undici). */
export const undiciLoadedFrom = parts.loadedFrom;
