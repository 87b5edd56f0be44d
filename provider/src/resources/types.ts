/**
 * The shape of a resource's provider functions: @pulumi/pulumi's dynamic.ResourceProvider, written out here so the
 * provider package does not import @pulumi/pulumi at all (the dynamic-provider process loads this package; the
 * Pulumi SDK it needs is the one that process already runs).
 */
import { connectionSchema, normaliseEndpoint } from "../connection.js";
import type { LogWriter } from "./engineLog.js";
import type { CheckFailure } from "./schemas.js";
import { containsUnknown, declaredOf, isUnknown, plain, UNKNOWN, withoutProvider } from "./schemas.js";

export type Props = Record<string, unknown>;

export interface PropertyDiff {
  kind: "add" | "delete" | "update" | "add-replace" | "delete-replace" | "update-replace";
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  /**
   * Property path -> kind of change, down to the leaf inside `connection` (`connection.auth.password`,
   * `connection.endpoint`; never a value). The dynamic-provider RPC of @pulumi/pulumi 3.248 forwards only
   * changes/replaces (node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js diffRPC), so the engine shows
   * `connection: [secret]`; detailedDiff is kept exact for callers, tests and the native provider that will forward it.
   */
  detailedDiff: Record<string, PropertyDiff>;
  deleteBeforeReplace: boolean;
}

/**
 * What the front end gives an operation while it runs. `log`: where output lines go (RemoteCommand `logging`); the
 * dynamic provider leaves it out (lines go to stderr, engineLog.ts), the native provider passes a sink that sends them
 * to the engine's Log RPC with the resource's URN (provider/src/native/engineLog.ts).
 */
export interface OperationContext {
  log?: LogWriter;
}

export interface ResourceProviderFunctions {
  check(olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }>;
  diff(id: string, olds: Props, news: Props): Promise<DiffResult>;
  create(inputs: Props, ctx?: OperationContext): Promise<{ id: string; outs: Props }>;
  read(id: string, props?: Props): Promise<{ id: string; props: Props; inputs: Props }>;
  update(id: string, olds: Props, news: Props, ctx?: OperationContext): Promise<{ outs: Props }>;
  delete(id: string, props: Props, ctx?: OperationContext): Promise<void>;
}

/** Collects per-property changes into a DiffResult. */
export class DiffBuilder {
  private readonly detailed: Record<string, PropertyDiff> = {};
  private readonly replaces: string[] = [];

  /** Record a change of `prop`; `replace` when the change needs a new resource. */
  change(prop: string, replace = false, kind: "add" | "delete" | "update" = "update"): void {
    this.detailed[prop] = { kind: replace ? `${kind}-replace` : kind };
    // The engine takes replace keys as top-level property names: a sub-path replaces its top-level property.
    const top = topLevel(prop);
    if (replace && !this.replaces.includes(top)) this.replaces.push(top);
  }

  /** Compare with a key function; unknown (preview) new values count as a change. */
  compare<T>(
    prop: string,
    oldValue: T,
    newValue: unknown,
    key: (v: T) => string,
    replace = false,
    unknownReplaces = replace,
  ): void {
    if (containsUnknown(newValue)) {
      this.change(prop, unknownReplaces);
      return;
    }
    if (key(oldValue) !== key(newValue as T)) {
      const kind = oldValue === undefined ? "add" : newValue === undefined ? "delete" : "update";
      this.change(prop, replace, kind);
    }
  }

  /**
   * The `connection` input, leaf by leaf with the schema's defaults applied (an explicit default is no change):
   * another endpoint (normalised) is another host, so `connection.endpoint` replaces; an unknown endpoint during
   * preview does not (it usually names the same host; the diff at `up` sees the real value). Every other leaf
   * (credentials, timeouts, TLS, proxy) is an in-place update that touches nothing on the host (connectionOnlyChange).
   */
  compareConnection(oldConnection: unknown, newConnection: unknown): void {
    const before = withDefaults(oldConnection);
    const after = withDefaults(newConnection, before);
    if (isUnknown(after)) {
      this.change("connection");
      return;
    }
    const oldEndpoint = endpointKey(before);
    const newRaw = (after as { endpoint?: unknown } | undefined)?.endpoint;
    if (isUnknown(newRaw)) this.change("connection.endpoint");
    else if (oldEndpoint !== endpointKey(after)) this.change("connection.endpoint", true);
    for (const { path } of changedLeaves(before, after, ["connection"])) {
      const name = path.join(".");
      if (name !== "connection.endpoint") this.change(name);
    }
  }

  result(): DiffResult {
    return {
      changes: Object.keys(this.detailed).length > 0,
      replaces: [...this.replaces],
      detailedDiff: { ...this.detailed },
      deleteBeforeReplace: false,
    };
  }
}

/** The endpoint of a connection value for comparisons (normalised; the raw value when it does not parse). */
export function endpointKey(connection: unknown): string {
  const raw = (connection as { endpoint?: unknown } | undefined)?.endpoint;
  if (typeof raw !== "string") return "";
  try {
    return normaliseEndpoint(raw);
  } catch {
    return raw;
  }
}

/** The top-level property of a path: "connection" of "connection.auth.password", "triggers" of "triggers[0]". */
function topLevel(path: string): string {
  const cut = path.search(/[.[]/);
  return cut < 0 ? path : path.slice(0, cut);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Paths (key lists) of the unknown values inside `v`. */
function unknownPaths(v: unknown, at: string[] = []): string[][] {
  if (isUnknown(v)) return [at];
  if (!isObject(v)) return [];
  return Object.entries(v).flatMap(([k, child]) => unknownPaths(child, [...at, k]));
}

function getPath(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const k of path) cur = isObject(cur) ? cur[k] : undefined;
  return cur;
}

function setPath(v: Json, path: string[], value: unknown): void {
  let cur: Json = v;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (!isObject(next)) return;
    cur = next;
  }
  const last = path.at(-1);
  if (last === undefined) return;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

/**
 * A connection with the schema's defaults filled in where it parses; as given otherwise. Unknown leaves (preview)
 * stay unknown: they are parsed as the old connection's value there, then put back, so that the defaults of the
 * known rest do not show as changes.
 */
function withDefaults(connection: unknown, old?: unknown): unknown {
  if (!isObject(connection)) return connection;
  const unknowns = unknownPaths(connection);
  // A key like "__proto__" is data, never a path to assign through (and no connection field).
  if (unknowns.some((p) => p.includes("__proto__"))) return connection;
  const probe = plain(connection);
  for (const p of unknowns) setPath(probe, p, getPath(old, p));
  const parsed = connectionSchema.safeParse(probe);
  if (!parsed.success) return connection;
  const out = plain(parsed.data) as Json;
  for (const p of unknowns) setPath(out, p, UNKNOWN);
  return out;
}

/** Paths (under `prefix`) of the leaves that differ between two JSON values; a leaf is anything but a plain object. */
export interface ChangedLeaf {
  /** Property names from the compared values' root (prefix first). */
  path: string[];
  kind: "add" | "delete" | "update";
}

/**
 * Every leaf that differs between two plain JSON values, objects compared key by key (keys sorted, so the order is
 * stable), arrays and scalars as wholes; undefined and null are the same (an absent optional). An unknown new value
 * (preview) is a change. One helper for both front ends: the dynamic resources' connection diff (DiffBuilder) and
 * the native provider's DiffConfig.
 */
export function changedLeaves(a: unknown, b: unknown, prefix: string[] = []): ChangedLeaf[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedLeaves(a[k], b[k], [...prefix, k]));
  }
  if (!isUnknown(b) && JSON.stringify(a ?? null) === JSON.stringify(b ?? null)) return [];
  return [{ path: prefix, kind: a === undefined || a === null ? "add" : b === undefined || b === null ? "delete" : "update" }];
}

/** Whether a diff changes nothing but in-place `connection` leaves (no endpoint change): nothing to do on the host. */
export function connectionOnlyChange(diff: DiffResult): boolean {
  const paths = Object.keys(diff.detailedDiff);
  return (
    diff.replaces.length === 0 &&
    paths.length > 0 &&
    paths.every((p) => p === "connection" || p.startsWith("connection.")) &&
    !paths.includes("connection.endpoint")
  );
}

/**
 * The stored state with the new connection (and the program's new `declared` inputs) and nothing else changed: what
 * update() returns for a connection-only change. Nothing is sent to the host.
 */
export function withNewConnection(olds: Props, news: Props): Props {
  const state = withoutProvider(olds);
  const n = withoutProvider(news);
  return plain({ ...state, connection: n.connection, ...(state.declared !== undefined ? { declared: declaredOf(news) } : {}) });
}
