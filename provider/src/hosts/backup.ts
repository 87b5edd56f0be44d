/**
 * Originals kept on the host itself: before the provider first changes a host setting it writes what the host had
 * under `HKLM\SOFTWARE\pulumi-winrm-proxy\Originals\<setting>`, so a create interrupted at any instant (the Pulumi CLI
 * killed after the change, before the state was written) and run again still finds the true original, and the
 * resource's delete puts that back and removes the key.
 *
 * - One subkey per setting (WinHttpSettings, WinRMService): two resources share a backup only when they manage the
 *   same setting of the same host (one host has one WinHTTP default proxy, one WinRM service).
 * - Written once: each value is added by a single cmd line `reg query K /v N >nul 2>&1 || reg add K /v N ... /f`, so a
 *   rerun (or anything racing it) never overwrites a backup that exists; the caller reads the stored one back.
 * - Removed as a whole with `reg delete K /f` (one command: no half-removed backup).
 * - reg.exe exists on Server 2003 and later; only exit codes and the value lines are read (regQuery.ts), never the
 *   localized messages.
 */
import { CommandFailedError, WinRMError } from "../errors.js";
import { findRegValue, type RegQueryValue } from "./regQuery.js";
import { outputTail, type CommandRunner } from "./winhttp.js";

export const BACKUP_ROOT = "HKLM\\SOFTWARE\\pulumi-winrm-proxy\\Originals";

export type BackupSetting = "WinHttpSettings" | "WinRMService";

export interface BackupValue {
  name: string;
  type: "REG_BINARY" | "REG_SZ";
  /** Hex digits for REG_BINARY, the text for REG_SZ (printable ASCII without quotes, `%` or line breaks). */
  data: string;
}

/**
 * The backup of a host setting cannot be written, read or put back as it must (code WINRM_COMMAND_FAILED: the host's
 * commands ran, their result is not what the provider needs). Nothing is changed on the host after this error.
 */
export class HostBackupError extends WinRMError {
  constructor(message: string) {
    super("WINRM_COMMAND_FAILED", message);
  }
}

export function backupKey(setting: BackupSetting): string {
  return `${BACKUP_ROOT}\\${setting}`;
}

function checkData(v: BackupValue): void {
  // Our own encodings (hex digits, Name=value pairs of host settings): quotes or cmd operators never belong there.
  const ok = v.type === "REG_BINARY" ? /^(?:[0-9A-Fa-f]{2})*$/.test(v.data) : /^[\x20-\x7e]*$/.test(v.data) && !/["%^&|<>]/.test(v.data);
  if (!ok || !/^[A-Za-z0-9.]+$/.test(v.name)) {
    throw new HostBackupError(`the backup value ${v.name} holds characters one cmd.exe argument cannot carry: nothing was changed`);
  }
}

/**
 * The backup's values by name, or undefined when there is no backup of `setting` (reg exits 1: no such key). Any
 * other failure throws: no change may be made to a host whose backup cannot be read.
 */
export async function readBackup(client: CommandRunner, setting: BackupSetting, names: readonly string[]): Promise<Map<string, RegQueryValue> | undefined> {
  const r = await client.run(`reg query "${backupKey(setting)}"`, { shell: "cmd" });
  if (r.exitCode === 1) return undefined;
  if (r.exitCode !== 0) throw new CommandFailedError(`reg query ${backupKey(setting)}`, r.exitCode, outputTail(r));
  const out = new Map<string, RegQueryValue>();
  for (const n of names) {
    const v = findRegValue(r.stdout, n);
    if (v !== undefined) out.set(n, v);
  }
  return out;
}

/** cmd.exe's longest command line (8191 characters, KB830473), less room for the shell's own wrapping. */
const MAX_COMMAND_LINE = 8000;

/** The cmd line that adds the value unless it exists already (write-once); its exit code is the add's, or 0. */
export function writeOnceCommand(setting: BackupSetting, v: BackupValue): string {
  checkData(v);
  const key = backupKey(setting);
  const line = `reg query "${key}" /v ${v.name} >nul 2>&1 || reg add "${key}" /v ${v.name} /t ${v.type} /d "${v.data}" /f >nul`;
  if (line.length > MAX_COMMAND_LINE) {
    throw new HostBackupError(
      `${backupKey(setting)}: the host's original setting is too long (${v.data.length} characters) to back up through one cmd.exe command line ` +
        `(${MAX_COMMAND_LINE} characters): shorten it on the host before the provider changes it`,
    );
  }
  return line;
}

/** Write the values that are not there yet, one command each; the ones that are stay as they are (never overwritten). */
export async function writeBackupOnce(client: CommandRunner, setting: BackupSetting, values: readonly BackupValue[]): Promise<void> {
  for (const v of values) {
    const r = await client.run(writeOnceCommand(setting, v), { shell: "cmd" });
    if (r.exitCode !== 0) throw new CommandFailedError(`reg add ${backupKey(setting)} /v ${v.name}`, r.exitCode, outputTail(r));
  }
}

/**
 * Remove the backup of `setting` (its whole key). reg exits 1 both when the key is already gone (a delete run again
 * after it was interrupted) and when it may not delete it: a query tells which.
 */
export async function removeBackup(client: CommandRunner, setting: BackupSetting): Promise<void> {
  const key = backupKey(setting);
  const r = await client.run(`reg delete "${key}" /f`, { shell: "cmd" });
  if (r.exitCode === 0) return;
  const q = await client.run(`reg query "${key}"`, { shell: "cmd" });
  if (q.exitCode === 1) return;
  throw new CommandFailedError(`reg delete ${key}`, r.exitCode, outputTail(r));
}
