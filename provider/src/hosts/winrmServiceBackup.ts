/**
 * The WinRM service settings a host had before the provider first changed them (WinRMProxyConfig's Put on
 * winrm/config/service), kept on the host (backup.ts) as one REG_SZ value `ServiceAuth` of
 * `HKLM\SOFTWARE\pulumi-winrm-proxy\Originals\WinRMService`, written before the first Put:
 *
 *   Basic=false;Negotiate=true;Kerberos=true;Certificate=false;CredSSP=false;CbtHardeningLevel=Relaxed;AllowUnencrypted=false
 *
 * Names as in the Service document (MS-WSMV 3.1.4.1.28's config schema), readable by an administrator with
 * `reg query`. CbtHardeningLevel is empty on hosts without the setting. AllowUnencrypted is kept to show what the host
 * had; the provider never puts `true` back (that would reopen cleartext WinRM).
 */
import { backupKey, HostBackupError, readBackup, writeBackupOnce } from "./backup.js";
import type { CommandRunner } from "./winhttp.js";

/** What the backup holds; LiveServiceAuth of resources/winRMProxyConfig.ts has this shape. */
export interface ServiceAuthOriginal {
  basic: boolean;
  negotiate: boolean;
  kerberos: boolean;
  certificate: boolean;
  credSSP: boolean;
  /** "" on hosts without the setting. */
  cbtHardeningLevel: string;
}

export interface ServiceOriginal {
  auth: ServiceAuthOriginal;
  allowUnencrypted: boolean;
}

const VALUE = "ServiceAuth";
const FLAGS: readonly [string, keyof Omit<ServiceAuthOriginal, "cbtHardeningLevel">][] = [
  ["Basic", "basic"],
  ["Negotiate", "negotiate"],
  ["Kerberos", "kerberos"],
  ["Certificate", "certificate"],
  ["CredSSP", "credSSP"],
];

export function encodeServiceOriginal(o: ServiceOriginal): string {
  const parts = FLAGS.map(([name, k]) => `${name}=${String(o.auth[k])}`);
  parts.push(`CbtHardeningLevel=${o.auth.cbtHardeningLevel}`, `AllowUnencrypted=${String(o.allowUnencrypted)}`);
  return parts.join(";");
}

export function decodeServiceOriginal(text: string): ServiceOriginal {
  const fields = new Map<string, string>();
  for (const part of text.trimEnd().split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).toLowerCase(), part.slice(eq + 1));
  }
  const bad = (what: string): HostBackupError =>
    new HostBackupError(
      `the backup ${VALUE} under ${backupKey("WinRMService")} is not one this provider wrote (${what}); check what the ` +
        "host's WinRM service settings were, set them, and delete the key before running again",
    );
  const bool = (name: string): boolean => {
    const v = fields.get(name.toLowerCase());
    if (v !== "true" && v !== "false") throw bad(`${name} is ${v === undefined ? "missing" : JSON.stringify(v)}`);
    return v === "true";
  };
  const cbt = fields.get("cbthardeninglevel") ?? "";
  if (!/^[A-Za-z]{0,16}$/.test(cbt)) throw bad(`CbtHardeningLevel is ${JSON.stringify(cbt.slice(0, 32))}`);
  const auth = Object.fromEntries(FLAGS.map(([name, k]) => [k, bool(name)])) as Omit<ServiceAuthOriginal, "cbtHardeningLevel">;
  return { auth: { ...auth, cbtHardeningLevel: cbt }, allowUnencrypted: bool("AllowUnencrypted") };
}

/** The backup on the host, when there is one. */
export async function readServiceOriginal(client: CommandRunner): Promise<ServiceOriginal | undefined> {
  const values = await readBackup(client, "WinRMService", [VALUE]);
  const v = values?.get(VALUE);
  if (v === undefined) return undefined;
  if (v.type !== "REG_SZ") throw new HostBackupError(`the backup value ${VALUE} under ${backupKey("WinRMService")} is ${v.type}, not REG_SZ`);
  return decodeServiceOriginal(v.data);
}

/** Before the first Put: the backup, written from `live` unless one exists, then read back (what the host keeps). */
export async function ensureServiceOriginal(client: CommandRunner, live: ServiceOriginal): Promise<ServiceOriginal> {
  const found = await readServiceOriginal(client);
  if (found !== undefined) return found;
  await writeBackupOnce(client, "WinRMService", [{ name: VALUE, type: "REG_SZ", data: encodeServiceOriginal(live) }]);
  const stored = await readServiceOriginal(client);
  if (stored === undefined) throw new HostBackupError(`the host did not keep the backup of its WinRM service settings under ${backupKey("WinRMService")}`);
  return stored;
}
