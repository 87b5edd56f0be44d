/**
 * The WinHTTP default proxy a host had before the provider first changed it, kept on the host (backup.ts) as the exact
 * registry bytes, and put back byte for byte.
 *
 * netsh and proxycfg write `WinHttpSettings` in the native view and, on 64-bit Windows, its WOW6432Node twin (what
 * 32-bit WinHTTP clients read; winhttpSettings.ts). Both are kept, as values `Native` and `WOW6432Node` of
 * `HKLM\SOFTWARE\pulumi-winrm-proxy\Originals\WinHttpSettings`, each REG_BINARY: `01` followed by the original
 * bytes, or the single byte `00` when the value did not exist (WinHTTP's default, direct access). Restoring writes the
 * bytes back with `reg add` (or deletes a value that did not exist), so the host ends with exactly what it had,
 * change counter included; WinHTTP reads the value from the registry each time a default proxy is asked for, netsh
 * itself only writes it.
 */
import { CommandFailedError, ProtocolError } from "../errors.js";
import { backupKey, HostBackupError, readBackup, writeBackupOnce, type BackupValue } from "./backup.js";
import { findRegValue, hexBytes } from "./regQuery.js";
import { DIRECT, outputTail, type CommandRunner, type LiveWinHttpProxy } from "./winhttp.js";
import { decodeWinHttpSettings, WINHTTP_SETTINGS_KEY, WINHTTP_SETTINGS_KEY_WOW64, WINHTTP_SETTINGS_VALUE } from "./winhttpSettings.js";

export type WinHttpView = "native" | "wow64";

/** The raw WinHttpSettings values; null where the value does not exist (on 32-bit Windows the twin never does). */
export interface WinHttpOriginal {
  native: Buffer | null;
  wow64: Buffer | null;
}

const VIEWS: readonly { view: WinHttpView; key: string; backupName: string }[] = [
  { view: "native", key: WINHTTP_SETTINGS_KEY, backupName: "Native" },
  { view: "wow64", key: WINHTTP_SETTINGS_KEY_WOW64, backupName: "WOW6432Node" },
];

const queryCommand = (key: string): string => `reg query "${key}" /v ${WINHTTP_SETTINGS_VALUE}`;

/** The REG_BINARY bytes of WinHttpSettings in one `reg query ... /v WinHttpSettings` result; null when reg exits 1. */
function rawOf(r: { stdout: string; stderr: string; exitCode: number }, key: string): Buffer | null {
  if (r.exitCode === 1) return null; // no such value (or key): the message is localized, the code is not
  if (r.exitCode !== 0) throw new CommandFailedError(`reg query ${key}`, r.exitCode, outputTail(r));
  const v = findRegValue(r.stdout, WINHTTP_SETTINGS_VALUE);
  const bytes = v?.type === "REG_BINARY" ? hexBytes(v.data) : undefined;
  if (bytes === undefined) throw new ProtocolError(`reg query printed no REG_BINARY ${WINHTTP_SETTINGS_VALUE} value under ${key}`);
  return bytes;
}

/** The live raw value of one view. */
export async function readRawWinHttpSettings(client: CommandRunner, view: WinHttpView): Promise<Buffer | null> {
  const key = view === "native" ? WINHTTP_SETTINGS_KEY : WINHTTP_SETTINGS_KEY_WOW64;
  return rawOf(await client.run(queryCommand(key), { shell: "cmd" }), key);
}

export function encodeOriginal(raw: Buffer | null): string {
  return raw === null ? "00" : `01${raw.toString("hex").toUpperCase()}`;
}

export function decodeOriginal(hexData: string, where: string): Buffer | null {
  const b = hexBytes(hexData);
  if (b !== undefined && b.length === 1 && b[0] === 0) return null;
  if (b !== undefined && b.length >= 1 && b[0] === 1) return b.subarray(1);
  throw new HostBackupError(
    `the backup ${where} under ${backupKey("WinHttpSettings")} is not one this provider wrote (REG_BINARY 00, or 01 and the original bytes); ` +
      "check what the host's WinHTTP proxy was, set it, and delete the value before running again",
  );
}

/** The backup on the host, when one exists; `complete` false when a create was interrupted between its two values. */
export async function readWinHttpOriginal(client: CommandRunner): Promise<{ original: Partial<WinHttpOriginal>; complete: boolean } | undefined> {
  const values = await readBackup(client, "WinHttpSettings", VIEWS.map((v) => v.backupName));
  if (values === undefined) return undefined;
  const original: Partial<WinHttpOriginal> = {};
  for (const { view, backupName } of VIEWS) {
    const v = values.get(backupName);
    if (v === undefined) continue;
    if (v.type !== "REG_BINARY") throw new HostBackupError(`the backup value ${backupName} under ${backupKey("WinHttpSettings")} is ${v.type}, not REG_BINARY`);
    original[view] = decodeOriginal(v.data, `value ${backupName}`);
  }
  return { original, complete: original.native !== undefined && original.wow64 !== undefined };
}

/**
 * Before the first change: the backup, written now from the live values where it is missing (never overwriting what
 * is there), then read back, so what is returned is what the host keeps.
 */
export async function ensureWinHttpOriginal(client: CommandRunner): Promise<WinHttpOriginal> {
  return completeWinHttpOriginal(client, await readWinHttpOriginal(client));
}

/** ensureWinHttpOriginal, given what readWinHttpOriginal has just returned. */
export async function completeWinHttpOriginal(
  client: CommandRunner,
  found: Awaited<ReturnType<typeof readWinHttpOriginal>>,
): Promise<WinHttpOriginal> {
  if (found?.complete === true) return found.original as WinHttpOriginal;
  const values: BackupValue[] = [];
  for (const { view, backupName } of VIEWS) {
    if (found?.original[view] !== undefined) continue;
    values.push({ name: backupName, type: "REG_BINARY", data: encodeOriginal(await readRawWinHttpSettings(client, view)) });
  }
  await writeBackupOnce(client, "WinHttpSettings", values);
  const stored = await readWinHttpOriginal(client);
  if (stored?.complete !== true) throw new HostBackupError(`the host did not keep the backup of its WinHTTP proxy under ${backupKey("WinHttpSettings")} (reg add reported success)`);
  return stored.original as WinHttpOriginal;
}

/** The setting an original means, in the form the resource state keeps (`previous`). */
export function originalSetting(raw: Buffer | null): LiveWinHttpProxy {
  if (raw === null) return { ...DIRECT, exists: false };
  const d = decodeWinHttpSettings(raw);
  return { accessType: d.accessType, proxyServer: d.proxyServer, bypassList: d.bypassList, exists: true };
}

/**
 * Put the original bytes back in both views (a value that did not exist is deleted), each followed by a read-back
 * in the same command line; throws when a view does not hold exactly the original afterwards.
 */
export async function restoreWinHttpOriginal(client: CommandRunner, original: WinHttpOriginal): Promise<void> {
  for (const { view, key } of VIEWS) {
    const raw = original[view];
    const write =
      raw === null
        ? `reg delete "${key}" /v ${WINHTTP_SETTINGS_VALUE} /f >nul 2>&1`
        : `reg add "${key}" /v ${WINHTTP_SETTINGS_VALUE} /t REG_BINARY /d "${raw.toString("hex").toUpperCase()}" /f >nul`;
    // `&`: the read-back runs either way (a delete of a value already gone exits 1, and that is fine).
    const r = await client.run(`${write} & ${queryCommand(key)}`, { shell: "cmd" });
    const now = rawOf(r, key);
    const same = raw === null ? now === null : now !== null && now.equals(raw);
    if (!same) {
      throw new HostBackupError(
        `restoring the original WinHTTP proxy (${view} view) did not take: the host holds ` +
          `${now === null ? "no value" : now.toString("hex")} instead of ${raw === null ? "no value" : raw.toString("hex")}`,
      );
    }
  }
}
