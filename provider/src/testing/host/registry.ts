/**
 * A tiny in-memory registry: keys are case-insensitive paths under HKEY_LOCAL_MACHINE / HKEY_CURRENT_USER, values keep
 * the case they were written with. Enough for WinHttpSettings (native and WOW6432Node, provider/src/hosts/winhttpSettings.ts) and the
 * current user's Internet Explorer proxy (what `netsh winhttp import proxy source=ie` and `proxycfg -u` read).
 */

export type RegType = "REG_SZ" | "REG_EXPAND_SZ" | "REG_DWORD" | "REG_BINARY" | "REG_MULTI_SZ";

export type RegValue =
  | { type: "REG_SZ" | "REG_EXPAND_SZ"; data: string }
  | { type: "REG_DWORD"; data: number }
  | { type: "REG_BINARY"; data: Buffer }
  | { type: "REG_MULTI_SZ"; data: string[] };

export interface NamedRegValue {
  name: string;
  value: RegValue;
}

const ROOTS: Record<string, string> = {
  HKLM: "HKEY_LOCAL_MACHINE",
  HKEY_LOCAL_MACHINE: "HKEY_LOCAL_MACHINE",
  HKCU: "HKEY_CURRENT_USER",
  HKEY_CURRENT_USER: "HKEY_CURRENT_USER",
  HKU: "HKEY_USERS",
  HKEY_USERS: "HKEY_USERS",
  HKCR: "HKEY_CLASSES_ROOT",
  HKEY_CLASSES_ROOT: "HKEY_CLASSES_ROOT",
};

export const CONNECTIONS_KEY = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections";
export const CONNECTIONS_KEY_WOW64 =
  "HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections";
export const IE_SETTINGS_KEY = "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings";

/** "HKLM\\Software\\x\\" -> "HKEY_LOCAL_MACHINE\\Software\\x"; undefined for an unknown root. */
export function canonicalKey(path: string): string | undefined {
  const parts = path.replace(/\//g, "\\").split("\\").filter((p) => p !== "");
  const first = parts[0];
  if (first === undefined) return undefined;
  const root = ROOTS[first.toUpperCase()];
  if (!root) return undefined;
  return [root, ...parts.slice(1)].join("\\");
}

function copyValue(v: RegValue): RegValue {
  switch (v.type) {
    case "REG_BINARY":
      return { type: v.type, data: Buffer.from(v.data) };
    case "REG_MULTI_SZ":
      return { type: v.type, data: [...v.data] };
    default:
      return { ...v };
  }
}

export class Registry {
  /** lower-case canonical key -> { display path, values by lower-case name } */
  private readonly keys = new Map<string, { path: string; values: Map<string, NamedRegValue> }>();

  private entry(path: string, create: boolean): { path: string; values: Map<string, NamedRegValue> } | undefined {
    const canonical = canonicalKey(path);
    if (canonical === undefined) return undefined;
    const id = canonical.toLowerCase();
    let e = this.keys.get(id);
    if (!e && create) {
      e = { path: canonical, values: new Map() };
      this.keys.set(id, e);
      // Parents exist implicitly (reg query of a parent works).
      const parts = canonical.split("\\");
      for (let i = parts.length - 1; i >= 1; i--) {
        const parent = parts.slice(0, i).join("\\");
        if (!this.keys.has(parent.toLowerCase())) this.keys.set(parent.toLowerCase(), { path: parent, values: new Map() });
      }
    }
    return e;
  }

  keyExists(path: string): boolean {
    return this.entry(path, false) !== undefined;
  }

  /** The key's display path ("HKEY_LOCAL_MACHINE\\SOFTWARE\\..."), as first created. */
  keyPath(path: string): string | undefined {
    return this.entry(path, false)?.path;
  }

  createKey(path: string): void {
    if (!this.entry(path, true)) throw new Error(`invalid registry key ${path}`);
  }

  getValue(path: string, name: string): RegValue | undefined {
    const v = this.entry(path, false)?.values.get(name.toLowerCase());
    return v ? copyValue(v.value) : undefined;
  }

  /** The value's name as stored (case preserved). */
  valueName(path: string, name: string): string | undefined {
    return this.entry(path, false)?.values.get(name.toLowerCase())?.name;
  }

  setValue(path: string, name: string, value: RegValue): void {
    const e = this.entry(path, true);
    if (!e) throw new Error(`invalid registry key ${path}`);
    const existing = e.values.get(name.toLowerCase());
    e.values.set(name.toLowerCase(), { name: existing?.name ?? name, value: copyValue(value) });
  }

  deleteValue(path: string, name: string): boolean {
    return this.entry(path, false)?.values.delete(name.toLowerCase()) ?? false;
  }

  /** Remove a key with its values and all its subkeys; false when it does not exist. */
  deleteKey(path: string): boolean {
    const canonical = canonicalKey(path);
    if (canonical === undefined) return false;
    const id = canonical.toLowerCase();
    if (!this.keys.has(id)) return false;
    for (const k of [...this.keys.keys()]) {
      if (k === id || k.startsWith(`${id}\\`)) this.keys.delete(k);
    }
    return true;
  }

  listValues(path: string): NamedRegValue[] {
    const e = this.entry(path, false);
    return e ? [...e.values.values()].map((v) => ({ name: v.name, value: copyValue(v.value) })) : [];
  }

  /** Direct child key paths of `path`. */
  subkeys(path: string): string[] {
    const canonical = canonicalKey(path);
    if (canonical === undefined) return [];
    const prefix = canonical.toLowerCase() + "\\";
    const out: string[] = [];
    for (const [id, e] of this.keys) {
      if (id.startsWith(prefix) && !id.slice(prefix.length).includes("\\")) out.push(e.path);
    }
    return out;
  }
}
