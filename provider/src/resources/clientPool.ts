/**
 * One WinRMClient per (endpoint, identity, proxy, transport options) per process.
 *
 * The Pulumi engine runs one dynamic-provider process per deployment and calls every resource's CRUD in it, so all
 * resources on one host share one authenticated connection (one NTLM handshake, one OEM code page probe, one
 * Identify). The key carries a SHA-256 of each password, never the password: a rotated password gets a new client,
 * and no secret sits in a map key that could end up in a heap dump or a log line.
 *
 * Every client is created with a path observer whose events (never secrets: pathEvents.ts) are kept, so the
 * WinRMProxyConfig probe can report the path the connection really took, even when another resource opened it first.
 */
import { createHash } from "node:crypto";
import { WinRMClient } from "../client.js";
import { parseConnection, type Connection } from "../connection.js";
import type { PathEvent } from "../transport/pathEvents.js";

export interface PooledClient {
  readonly client: WinRMClient;
  /** Every path event of this client's connections, oldest first (bounded). */
  readonly events: PathEvent[];
}

const MAX_EVENTS = 200;
const pool = new Map<string, PooledClient>();
let exitHookInstalled = false;

function digest(s: string): string {
  return createHash("sha256").update(s, "utf8").digest("hex");
}

/** The pool key: the validated connection with each password replaced by its SHA-256. */
export function poolKey(conn: Connection): string {
  const proxy =
    typeof conn.proxy === "string"
      ? conn.proxy
      : { ...conn.proxy, password: conn.proxy.password === undefined ? undefined : digest(conn.proxy.password) };
  return JSON.stringify({ ...conn, auth: { ...conn.auth, password: digest(conn.auth.password) }, proxy });
}

/** The shared client for a connection (input form or validated). */
export function getClient(connection: unknown): PooledClient {
  const conn = parseConnection(connection);
  const key = poolKey(conn);
  let entry = pool.get(key);
  if (entry === undefined) {
    const events: PathEvent[] = [];
    const client = new WinRMClient(conn, {
      observer: (e) => {
        events.push(e);
        if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
      },
    });
    entry = { client, events };
    pool.set(key, entry);
    installExitHook();
  }
  return entry;
}

/** Close every pooled client (tests; and the process's last turn of the event loop). */
export async function closeAllClients(): Promise<void> {
  const entries = [...pool.values()];
  pool.clear();
  await Promise.allSettled(entries.map((e) => e.client.close()));
}

/** Number of live pooled clients (tests). */
export function pooledClientCount(): number {
  return pool.size;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // beforeExit runs when the loop is empty and may schedule more work: closing the sessions (a graceful TCP close)
  // lets the process end afterwards; the engine also kills the provider process when the deployment ends.
  process.on("beforeExit", () => {
    if (pool.size > 0) void closeAllClients();
  });
}
