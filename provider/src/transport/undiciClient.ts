/**
 * undici's Client and connector, loaded from their own modules rather than undici's index, which also loads fetch,
 * WebSocket, EventSource, the caches, the interceptors and the mock agents: about 9 MB of a client process's RSS
 * that a WinRM client never uses.
 *
 * undici's index.js does three things this needs, and they are done here the same way: `Client =
 * require('./lib/dispatcher/client')`, `buildConnector = require('./lib/core/connect')`, and
 * `Object.assign(Dispatcher.prototype, api)` with `api = require('./lib/api')`, which gives every dispatcher its
 * `request()` (the same functions on the same prototype: loading the index later, as another library in the process
 * may, assigns them again, unchanged). test/unit/undici-modules.test.ts checks that these are the objects the index
 * exports, so an undici release that moves them fails there, not in a user's process.
 */
import { createRequire } from "node:module";
import type * as Undici from "undici";

const requireUndici = createRequire(import.meta.url);

const dispatcher = requireUndici("undici/lib/dispatcher/dispatcher.js") as { prototype: object };
Object.assign(dispatcher.prototype, requireUndici("undici/lib/api/index.js") as object);

export const Client = requireUndici("undici/lib/dispatcher/client.js") as typeof Undici.Client;
export type Client = Undici.Client;
export const buildConnector = requireUndici("undici/lib/core/connect.js") as typeof Undici.buildConnector;
