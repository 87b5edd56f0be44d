/**
 * Shells a client keeps open between run() calls (MS-WSMV 3.1.4.5: a shell serves any number of commands, one at a
 * time). One per key (environment and working directory: what rsp:Shell fixes at Create; the shell kind does not
 * matter, PowerShell runs as a command line inside the same cmd shell). Bounds:
 * - quota: one shell per key and at most MAX_KEPT per client, far under MaxShellsPerUser (5 on WinRM 1.1, 30 on 2.0+);
 * - idle: a shell unused for KEEP_IDLE_MS is dropped (deleted) rather than reused, well inside the host's
 *   IdleTimeOut (default PT7200S, the rsp:IdleTimeOut of a CreateResponse); if the host dropped it anyway, the
 *   Command faults with w:InvalidSelectors / 0x8033805B and the caller recreates it (isShellGone);
 * - busy: a kept shell serves one run() at a time; a concurrent run() gets its own shell.
 */
import { WSManFaultError } from "../errors.js";
import type { RemoteShell } from "./remoteShell.js";

export interface KeptShell {
  readonly key: string;
  readonly shell: RemoteShell;
  readonly codePage: number;
  lastUsed: number;
  busy: boolean;
}

const MAX_KEPT = 4;
export const KEEP_IDLE_MS = 5 * 60_000;

/** 0x8033805B: "the shell was not found" (the host deleted it: idle timeout, service restart). */
const SHELL_NOT_FOUND = 2150858843;

export function isShellGone(err: unknown): boolean {
  return err instanceof WSManFaultError && (err.wsmanCode === SHELL_NOT_FOUND || err.subcode?.endsWith(":InvalidSelectors") === true);
}

/** The environment (sorted by name) and working directory a shell was created with. */
export function keptShellKey(opts: { env?: Record<string, string>; cwd?: string }): string {
  const env = Object.entries(opts.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([env, opts.cwd ?? null]);
}

export class KeptShells {
  private readonly shells = new Map<string, KeptShell>();
  /** Shells dropped for idleness or quota, for the caller to delete. */
  private readonly stale: KeptShell[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The kept shell for `key`, marked busy, created with `create` when there is none. Undefined when it is busy.
   */
  async acquire(key: string, create: () => Promise<{ shell: RemoteShell; codePage: number }>): Promise<KeptShell | undefined> {
    let kept = this.shells.get(key);
    if (kept !== undefined && !kept.busy && this.now() - kept.lastUsed > KEEP_IDLE_MS) {
      this.shells.delete(key);
      this.stale.push(kept);
      kept = undefined;
    }
    if (kept !== undefined) {
      if (kept.busy) return undefined;
      kept.busy = true;
      return kept;
    }
    const placeholder = { busy: true } as KeptShell;
    this.shells.set(key, placeholder);
    try {
      const made = await create();
      const fresh: KeptShell = { key, shell: made.shell, codePage: made.codePage, lastUsed: this.now(), busy: true };
      this.shells.set(key, fresh);
      if (this.shells.size > MAX_KEPT) this.evictIdle(key);
      return fresh;
    } catch (err) {
      if (this.shells.get(key) === placeholder) this.shells.delete(key);
      throw err;
    }
  }

  release(kept: KeptShell): void {
    kept.busy = false;
    kept.lastUsed = this.now();
  }

  discard(kept: KeptShell): void {
    if (this.shells.get(kept.key) === kept) this.shells.delete(kept.key);
  }

  /** Every kept shell and every stale one, removed from the set: the caller deletes them (close()). */
  drain(): KeptShell[] {
    const all = [...this.stale, ...[...this.shells.values()].filter((k) => k.shell !== undefined)];
    this.stale.length = 0;
    this.shells.clear();
    return all;
  }

  /** Shells waiting to be deleted (dropped for idleness or quota). */
  takeStale(): KeptShell[] {
    return this.stale.splice(0);
  }

  private evictIdle(except: string): void {
    let oldest: KeptShell | undefined;
    for (const k of this.shells.values()) {
      if (k.key !== except && !k.busy && (oldest === undefined || k.lastUsed < oldest.lastUsed)) oldest = k;
    }
    if (oldest !== undefined) {
      this.shells.delete(oldest.key);
      this.stale.push(oldest);
    }
  }
}
