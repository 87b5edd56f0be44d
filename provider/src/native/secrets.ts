/**
 * Secrets on the provider RPC. A provider that answers Configure with acceptSecrets receives secret values as objects
 * `{ [SECRET_SIG_KEY]: SECRET_SIG, value }` inside the google.protobuf.Struct of every request (the sentinel of
 * @pulumi/pulumi runtime/rpc.ts specialSigKey / specialSecretSig, pkg/resource/properties.go in the engine), and must
 * return secret outputs in the same form: the engine then stores them encrypted and shows them as [secret].
 *
 * The resource implementations (provider/src/resources) work on plain JSON, so a request is unwrapped on the way in
 * (remembering where the secrets were) and the answer is wrapped again on the way out, at the same paths and at the
 * paths that are always secret (every `password` of a connection).
 */

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A property path: object keys and array indexes from the top of a property map. */
export type PropertyPath = readonly (string | number)[];

export function isSecretValue(v: unknown): v is { value?: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

export function secretValue(value: unknown): Record<string, unknown> {
  return { [SECRET_SIG_KEY]: SECRET_SIG, value };
}

/** The value with every secret wrapper removed, and the paths where the wrappers were. */
export function unwrapSecrets(value: unknown): { plain: unknown; secretPaths: PropertyPath[] } {
  const secretPaths: PropertyPath[] = [];
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (isSecretValue(v)) {
      secretPaths.push([...path]);
      return walk(v.value, path);
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, [...path, k]);
      return out;
    }
    return v;
  };
  const plain = walk(value, []);
  return { plain, secretPaths };
}

/** The plain property map of a request, and where its secrets were. */
export function unwrapProps(value: unknown): { props: Record<string, unknown>; secretPaths: PropertyPath[] } {
  const { plain, secretPaths } = unwrapSecrets(value ?? {});
  const props = typeof plain === "object" && plain !== null && !Array.isArray(plain) ? (plain as Record<string, unknown>) : {};
  return { props, secretPaths };
}

/**
 * A copy of `value` with the value at each path wrapped as a secret (paths that do not exist are skipped; a path
 * inside an already wrapped value adds nothing: the whole value is secret already).
 */
export function wrapSecrets(value: Record<string, unknown>, paths: readonly PropertyPath[]): Record<string, unknown> {
  const root = structuredClone(value);
  // Shortest paths first: once a parent is wrapped, the paths inside it are secret already and are skipped.
  const sorted = [...paths].sort((a, b) => a.length - b.length);
  for (const path of sorted) {
    if (path.length === 0) continue;
    let parent: unknown = root;
    let inside = false;
    for (const key of path.slice(0, -1)) {
      if (isSecretValue(parent)) {
        inside = true;
        break;
      }
      parent = typeof parent === "object" && parent !== null ? (parent as Record<string | number, unknown>)[key] : undefined;
    }
    if (inside || typeof parent !== "object" || parent === null || isSecretValue(parent)) continue;
    const last = path[path.length - 1] as string | number;
    const container = parent as Record<string | number, unknown>;
    const current = container[last];
    if (current === undefined || isSecretValue(current)) continue;
    container[last] = secretValue(current);
  }
  return root;
}

/** The paths of every secret inside a connection value at `prefix` (auth.password, proxy.password, the client key). */
export function connectionSecretPaths(prefix: PropertyPath): PropertyPath[] {
  return [
    [...prefix, "auth", "password"],
    [...prefix, "proxy", "password"],
    [...prefix, "tls", "clientKey"],
    [...prefix, "tls", "clientKeyPassphrase"],
  ];
}

/** "connection.auth.password" for ["connection", "auth", "password"]; "triggers[0]" for ["triggers", 0]. */
export function pathString(path: PropertyPath): string {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s === "" ? p : `.${p}`;
  return s;
}
