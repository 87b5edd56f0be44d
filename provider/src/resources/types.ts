/**
 * The shape of a resource's provider functions: @pulumi/pulumi's dynamic.ResourceProvider, written out here so the
 * provider package does not import @pulumi/pulumi at all (the dynamic-provider process loads this package; the
 * Pulumi SDK it needs is the one that process already runs).
 */
import { normaliseEndpoint } from "../connection.js";
import type { CheckFailure } from "./schemas.js";
import { connectionOf, containsUnknown } from "./schemas.js";
import { poolKey } from "./clientPool.js";

export type Props = Record<string, unknown>;

export interface PropertyDiff {
  kind: "add" | "delete" | "update" | "add-replace" | "delete-replace" | "update-replace";
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  /** Property -> kind of change. The dynamic-provider RPC of @pulumi/pulumi 3.248 passes only changes/replaces on;
   * detailedDiff is for callers and tests (and a future RPC that forwards it). */
  detailedDiff: Record<string, PropertyDiff>;
  deleteBeforeReplace: boolean;
}

export interface ResourceProviderFunctions {
  check(olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }>;
  diff(id: string, olds: Props, news: Props): Promise<DiffResult>;
  create(inputs: Props): Promise<{ id: string; outs: Props }>;
  read(id: string, props?: Props): Promise<{ id: string; props: Props; inputs: Props }>;
  update(id: string, olds: Props, news: Props): Promise<{ outs: Props }>;
  delete(id: string, props: Props): Promise<void>;
}

/** Collects per-property changes into a DiffResult. */
export class DiffBuilder {
  private readonly detailed: Record<string, PropertyDiff> = {};
  private readonly replaces: string[] = [];

  /** Record a change of `prop`; `replace` when the change needs a new resource. */
  change(prop: string, replace = false, kind: "add" | "delete" | "update" = "update"): void {
    this.detailed[prop] = { kind: replace ? `${kind}-replace` : kind };
    if (replace && !this.replaces.includes(prop)) this.replaces.push(prop);
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
   * The `connection` input: another endpoint is another host, so it replaces (an unknown endpoint during preview
   * does not: it usually names the same host); any other change (credentials, proxy, TLS) updates in place.
   */
  compareConnection(oldConnection: unknown, newConnection: unknown): void {
    this.compare("connection", oldConnection, newConnection, endpointKey, true, false);
    if (!this.replaces.includes("connection")) this.compare("connection", oldConnection, newConnection, connectionKey);
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

/** Everything that decides which client a connection gets (the pool key: endpoint, identity, proxy; no secret). */
function connectionKey(connection: unknown): string {
  try {
    return poolKey(connectionOf({ connection }));
  } catch {
    return JSON.stringify(connection ?? null);
  }
}
