/**
 * The provider's configuration is a connection: the same shape and property names as a resource's `connection`
 * input (provider/src/connection.ts connectionSchema), so an explicit provider instance per host reads
 * `endpoint`, `auth: { mechanism, username, password }`, `tls`, `proxy`, `timeouts`, ... as the Kubernetes provider's
 * instance per cluster reads its kubeconfig. It may be empty: then every resource must carry its own `connection`.
 *
 * The engine hands the configuration over twice: CheckConfig / DiffConfig get the provider resource's inputs as a
 * property map, Configure gets them as `args` (a Struct, secrets wrapped) and as `variables` (`winrmproxy:<key>` ->
 * string, objects JSON-encoded) for older engines.
 */
import { connectionSchema, parseConnection } from "../connection.js";
import { ConfigurationError } from "../errors.js";
import { UNKNOWN } from "../resources/schemas.js";
import type { CheckFailure } from "../resources/schemas.js";

export const PACKAGE_NAME = "winrmproxy";

/** Keys the engine may add to a provider's inputs that are not configuration (the plugin version it was asked for). */
const ENGINE_KEYS = new Set(["version", "pluginDownloadURL"]);

/** The configuration keys: exactly the connection's properties. */
export const CONFIG_KEYS: readonly string[] = Object.keys(connectionSchema.shape);

/** The connection part of the provider's inputs (engine keys and `__` keys left out); undefined when empty. */
export function connectionFromConfig(inputs: Record<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (ENGINE_KEYS.has(k) || k.startsWith("__") || v === undefined) continue;
    out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Configure's `variables` (`winrmproxy:auth` -> '{"mechanism":...}') as a property map: values that are JSON objects
 * or arrays, numbers or booleans are decoded, strings stay strings.
 */
export function inputsFromVariables(variables: ReadonlyMap<string, string> | Iterable<[string, string]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [fullKey, raw] of variables) {
    const key = fullKey.startsWith(`${PACKAGE_NAME}:`) ? fullKey.slice(PACKAGE_NAME.length + 1) : fullKey;
    const k = key.startsWith("config:") ? key.slice("config:".length) : key;
    out[k] = decodeVariable(raw);
  }
  return out;
}

function decodeVariable(raw: string): unknown {
  const t = raw.trim();
  if (t.startsWith("{") || t.startsWith("[") || t === "true" || t === "false" || /^-?\d+$/.test(t)) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

function containsUnknownValue(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknownValue);
  if (typeof v === "object" && v !== null) return Object.values(v).some(containsUnknownValue);
  return false;
}

/**
 * CheckConfig's failures, named by the configuration key's full path (`auth.password`) with the fix. Empty
 * configuration is valid; a value not known yet (preview) is checked when it is.
 */
export function checkConfig(inputs: Record<string, unknown>): CheckFailure[] {
  const connection = connectionFromConfig(inputs);
  if (connection === undefined || containsUnknownValue(connection)) return [];
  try {
    parseConnection(connection);
    return [];
  } catch (e) {
    if (e instanceof ConfigurationError) {
      const reason = e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message;
      return [{ property: e.field, reason: `${reason} (provider ${PACKAGE_NAME} configuration)` }];
    }
    throw e;
  }
}
