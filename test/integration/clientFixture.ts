/** Emulator + client fixture for the client integration tests. */
import assert from "node:assert/strict";
import { WinRMClient } from "../../provider/src/client.js";
import type { ConnectionInput } from "../../provider/src/connection.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import type { ProfileName } from "../../provider/src/testing/index.js";
import type { PathEvent } from "../../provider/src/transport/pathEvents.js";
import { testHost, type TestHost, type TestLocale } from "./clientTestHost.js";

export const USER = "WIN-TEST\\alice";
export const PASSWORD = "S3cret-Pa55!";

export interface Fixture {
  emu: WinRMEmulator;
  host: TestHost;
  client: WinRMClient;
  connection: ConnectionInput;
}

export async function startFixture(
  profile: ProfileName,
  opts: {
    tls?: boolean;
    locale?: TestLocale;
    maxOperationTimeoutMs?: number;
    receiveChunkBytes?: number;
    cbtHardening?: "None" | "Relaxed" | "Strict";
  } = {},
): Promise<Fixture> {
  const host = testHost(profile, opts.locale);
  const emu = await WinRMEmulator.start({
    host,
    users: [{ username: USER, password: PASSWORD }],
    tls: opts.tls === true,
    ...(opts.maxOperationTimeoutMs !== undefined ? { maxOperationTimeoutMs: opts.maxOperationTimeoutMs } : {}),
    ...(opts.receiveChunkBytes !== undefined ? { receiveChunkBytes: opts.receiveChunkBytes } : {}),
    ...(opts.cbtHardening !== undefined ? { cbtHardening: opts.cbtHardening } : {}),
  });
  const connection: ConnectionInput = {
    endpoint: emu.url,
    auth: { mechanism: "negotiate", username: USER, password: PASSWORD },
    ...(opts.tls === true ? { tls: { ca: emu.caPem, serverName: "localhost" } } : {}),
  };
  return { emu, host, client: new WinRMClient(connection), connection };
}

/** `echo <marker>` on a fresh client of `connection`: asserts the output and the exit code, returns the path events. */
export async function echoThrough(connection: ConnectionInput, marker: string): Promise<PathEvent[]> {
  const events: PathEvent[] = [];
  const client = new WinRMClient(connection, { observer: (e) => events.push(e) });
  try {
    const r = await client.run(`echo ${marker}`);
    assert.equal(r.stdout, `${marker}\r\n`);
    assert.equal(r.exitCode, 0);
  } finally {
    await client.close();
  }
  return events;
}
