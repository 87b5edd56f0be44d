/**
 * WinRMProxyConfig: the proxy path to a WinRM 2.0+ host, proven, and the service settings that path needs.
 *
 * - Encryption enforced: Service/AllowUnencrypted = false (MS-WSMV 3.1.4.1.29.1: with a proxy on the path no message may
 *   travel unencrypted; over HTTP that means Negotiate/Kerberos sealing).
 * - Service/Auth schemes on as declared; Basic off by default (winrm/config/service/auth, provider/src/testing/host/configStore.ts: Basic sends the password itself).
 * - Applied with WS-Transfer Put on winrm/config/service (MS-WSMV 3.1.4.1.28; WinRMClient.putConfig), read back and
 *   compared. WinRM 1.1 hosts (Server 2003 R2, Server 2008) are refused: they have no per-connection proxy settings and
 *   their config schema lacks CredSSP / CbtHardeningLevel; their proxy is the WinHTTP one (WinHttpProxySetting).
 * - The path facts come from the connection's own path events (transport/pathEvents.ts): the auth mechanism, whether
 *   messages are encrypted (sealed or TLS), and direct / tunnel (CONNECT) / forward.
 *
 * id: `winrm-config:<endpoint>` (one service configuration per host). Adopting the host's current settings: the
 * `adopt: "<id>"` input (the SDK's mapping of the `import` option, see schemas.ts adoptField): create then Puts
 * nothing and fails naming the property (`allowUnencrypted`, `serviceAuth.basic`, ...) if the live settings differ
 * from the declared ones; `previousServiceAuth` is the adopted settings, so onDelete "restore" leaves them as found.
 * Outputs: `connection` (secret: pass it to the other resources), `path` { mechanism, encrypted, sealed, tls,
 * transport, proxy }, `productVersion`, `stack`, live `allowUnencrypted` and `serviceAuth`, `previousServiceAuth`,
 * `declared` (the inputs as the program wrote them, without connection; absent in older state).
 * `previousServiceAuth` of a created resource is what the service had before this provider first changed it, kept on the
 * host before the first Put (hosts/winrmServiceBackup.ts), so a create run again after a killed `pulumi up` records it
 * too; delete removes that backup (after the restore, with onDelete "restore").
 * read() returns as inputs the declared ones verbatim, with only the serviceAuth keys / allowUnencrypted that differ
 * on the host replaced by their live values (no false drift from defaults the program left out).
 */
import type { WinRMClient } from "../client.js";
import type { Connection } from "../connection.js";
import { ConfigurationError, ProtocolError, WinRMError } from "../errors.js";
import type { PathEvent } from "../transport/pathEvents.js";
import type { ConfigTree } from "../wsman/config.js";
import { removeBackup } from "../hosts/backup.js";
import { ensureServiceOriginal, readServiceOriginal, type ServiceAuthOriginal } from "../hosts/winrmServiceBackup.js";
import { getClient } from "./clientPool.js";
import {
  checkWith,
  connectionOf,
  declaredOf,
  normalisedAdoptId,
  parseInputs,
  plain,
  SCHEMA_VERSION,
  serviceAuthSchema,
  storedDeclared,
  storedState,
  winRMProxyConfigInputs,
  withoutProvider,
  type CheckFailure,
  type ServiceAuth,
  type WinRMProxyConfigInputs,
} from "./schemas.js";
import { connectionOnlyChange, DiffBuilder, withNewConnection, type Props, type ResourceProviderFunctions } from "./types.js";

export const WINRM_CONFIG_ID_PREFIX = "winrm-config:";
const SERVICE = "winrm/config/service";

export interface PathFacts {
  /** The WinRM auth mechanism that completed ("negotiate", "ntlm", "basic", ...). */
  mechanism: string;
  /** Every SOAP message is protected: sealed with the auth context, or inside TLS. */
  encrypted: boolean;
  sealed: boolean;
  tls: boolean;
  transport: "direct" | "tunnel" | "forward";
  /** The proxy (scheme://host:port, no userinfo); "" when direct. */
  proxy: string;
}

/** The service's auth settings as read from the host: the shape the on-host backup keeps (hosts/winrmServiceBackup.ts). */
export type LiveServiceAuth = ServiceAuthOriginal;

export interface WinRMProxyConfigState {
  schemaVersion: number;
  connection: unknown;
  endpoint: string;
  productVersion: string;
  stack: string;
  path: PathFacts;
  allowUnencrypted: boolean;
  serviceAuth: LiveServiceAuth;
  previousServiceAuth: LiveServiceAuth;
  onDelete: "retain" | "restore";
  declared?: Props;
}

/** The host runs a WinRM stack this resource cannot manage. */
export class UnsupportedHostError extends WinRMError {
  constructor(message: string) {
    super("WINRM_CONFIG", message);
  }
}

export function winRMConfigId(endpoint: string): string {
  return `${WINRM_CONFIG_ID_PREFIX}${endpoint}`;
}

// ---------------------------------------------------------------------------------------------------------------

function leaf(tree: ConfigTree, ...keys: string[]): string | undefined {
  let node: ConfigTree | string | undefined = tree;
  for (const k of keys) {
    if (node === undefined || typeof node === "string") return undefined;
    const match: string | undefined = Object.keys(node).find((n) => n.toLowerCase() === k.toLowerCase());
    node = match === undefined ? undefined : node[match];
  }
  return typeof node === "string" ? node : undefined;
}

function liveOf(tree: ConfigTree): { allowUnencrypted: boolean; auth: LiveServiceAuth } {
  const b = (k: string): boolean => (leaf(tree, "Auth", k) ?? "false").toLowerCase() === "true";
  return {
    allowUnencrypted: (leaf(tree, "AllowUnencrypted") ?? "false").toLowerCase() === "true",
    auth: {
      basic: b("Basic"),
      negotiate: b("Negotiate"),
      kerberos: b("Kerberos"),
      certificate: b("Certificate"),
      credSSP: b("CredSSP"),
      cbtHardeningLevel: leaf(tree, "Auth", "CbtHardeningLevel") ?? "",
    },
  };
}

/** The Put values that bring `tree` to the declared settings; {} when it already is. */
function changesFor(tree: ConfigTree, declared: ServiceAuth): Record<string, string> {
  const values: Record<string, string> = {};
  if ((leaf(tree, "AllowUnencrypted") ?? "").toLowerCase() !== "false") values.AllowUnencrypted = "false";
  const want: [string, boolean][] = [
    ["Basic", declared.basic],
    ["Negotiate", declared.negotiate],
    ["Kerberos", declared.kerberos],
    ["Certificate", declared.certificate],
    ["CredSSP", declared.credSSP],
  ];
  for (const [k, v] of want) {
    const cur = leaf(tree, "Auth", k);
    if (cur === undefined) {
      if (v) throw new ConfigurationError(`serviceAuth.${k.charAt(0).toLowerCase()}${k.slice(1)}`, `is not available on this host's WinRM service (no Service/Auth/${k}); set it to false`);
      continue;
    }
    if (cur.toLowerCase() !== String(v)) values[`Auth/${k}`] = String(v);
  }
  if (declared.cbtHardeningLevel !== undefined) {
    const cur = leaf(tree, "Auth", "CbtHardeningLevel");
    if (cur === undefined) {
      throw new ConfigurationError("serviceAuth.cbtHardeningLevel", "is not available on this host's WinRM service; remove it");
    }
    if (cur.toLowerCase() !== declared.cbtHardeningLevel.toLowerCase()) values["Auth/CbtHardeningLevel"] = declared.cbtHardeningLevel;
  }
  return values;
}

function matches(live: { allowUnencrypted: boolean; auth: LiveServiceAuth }, declared: ServiceAuth): boolean {
  const a = live.auth;
  return (
    !live.allowUnencrypted &&
    a.basic === declared.basic &&
    a.negotiate === declared.negotiate &&
    a.kerberos === declared.kerberos &&
    a.certificate === declared.certificate &&
    a.credSSP === declared.credSSP &&
    (declared.cbtHardeningLevel === undefined || a.cbtHardeningLevel.toLowerCase() === declared.cbtHardeningLevel.toLowerCase())
  );
}

/** What the connection's path events say, with the transport plan as the fallback for anything not observed. */
export function pathFactsOf(events: readonly PathEvent[], client: WinRMClient): PathFacts {
  const plan = client.plan;
  const last = <T extends PathEvent["type"]>(type: T): Extract<PathEvent, { type: T }> | undefined =>
    events.filter((e): e is Extract<PathEvent, { type: T }> => e.type === type).at(-1);
  const route = last("route");
  const enc = last("encryption");
  const auth = last("target-auth");
  const connect = last("connect");
  let transport: PathFacts["transport"];
  if (last("forward-fallback") !== undefined || route?.route === "forward") transport = "forward";
  else if (route?.route === "tunnel" || (connect !== undefined && connect.status >= 200 && connect.status < 300)) transport = "tunnel";
  else if (route?.route === "direct") transport = "direct";
  else transport = plan.proxy === undefined ? "direct" : plan.proxy.mode === "forward" ? "forward" : "tunnel";
  const tls = enc?.tls ?? plan.scheme === "https";
  const sealed = enc?.sealed ?? plan.encrypt;
  let proxy = "";
  if (transport !== "direct") {
    proxy = route?.proxy ?? (plan.proxy !== undefined ? `${plan.proxy.url.protocol}//${plan.proxy.url.host}` : "");
  }
  return { mechanism: auth?.mechanism ?? plan.mechanism, encrypted: tls || sealed, sealed, tls, transport, proxy };
}

async function probe(connection: unknown): Promise<{
  client: WinRMClient;
  conn: Connection;
  productVersion: string;
  stack: string;
  path: PathFacts;
}> {
  const conn = connectionOf({ connection });
  const { client, events } = getClient(connection);
  const id = await client.identify();
  const stack = id.stack ?? "";
  const major = Number(/^(\d+)/.exec(stack)?.[1] ?? "NaN");
  if (stack !== "" && !(major >= 2)) {
    throw new UnsupportedHostError(
      `${conn.endpoint} runs WinRM ${stack} (${id.productVersion}); WinRMProxyConfig needs WinRM 2.0 or later ` +
        `(KB968930 on 2003/2008, built into 2008 R2 and later). On this host use WinHttpProxySetting: WinRM 1.1 reaches ` +
        `the network through the WinHTTP default proxy`,
    );
  }
  const path = pathFactsOf(events, client);
  if (!path.encrypted) {
    throw new ProtocolError(`the path to ${conn.endpoint} is not encrypted (neither TLS nor message sealing); refusing to configure it`);
  }
  return { client, conn, productVersion: id.productVersion, stack, path };
}

/** Put what `tree` (the Service document just read) lacks of the declared settings, then verify with a fresh Get. */
async function applyService(
  client: WinRMClient,
  tree: ConfigTree,
  declared: ServiceAuth,
): Promise<{ allowUnencrypted: boolean; auth: LiveServiceAuth }> {
  const values = changesFor(tree, declared);
  const before = liveOf(tree);
  if (Object.keys(values).length === 0) return before;
  await client.putConfig(SERVICE, values);
  // Verify with a fresh Get, not the Put response: the state must be what the service holds.
  const after = liveOf(await client.getConfig(SERVICE));
  if (!matches(after, declared)) {
    let restored = false;
    try {
      await client.putConfig(SERVICE, authValues(tree, before.auth));
      restored = true;
    } catch {
      restored = false;
    }
    throw new ProtocolError(
      `the WinRM service did not take the settings (${Object.keys(values).join(", ")}); ` +
        (restored ? "the previous auth settings were put back" : "putting the previous settings back failed: run `pulumi refresh`"),
    );
  }
  return after;
}

/** Put values that restore `a` on a host whose Service document is `tree` (only the keys the host has). */
function authValues(tree: ConfigTree, a: LiveServiceAuth): Record<string, string> {
  const v: Record<string, string> = {};
  const set = (k: string, value: string): void => {
    if (value !== "" && leaf(tree, "Auth", k) !== undefined) v[`Auth/${k}`] = value;
  };
  set("Basic", String(a.basic));
  set("Negotiate", String(a.negotiate));
  set("Kerberos", String(a.kerberos));
  set("Certificate", String(a.certificate));
  set("CredSSP", String(a.credSSP));
  set("CbtHardeningLevel", a.cbtHardeningLevel);
  return v;
}

/** The auth scheme the connection itself uses must stay on, or the next operation locks us out. */
function lockoutFailures(parsed: Record<string, unknown>): CheckFailure[] {
  const inputs = parsed as WinRMProxyConfigInputs;
  const mech = connectionOf({ connection: inputs.connection }).auth.mechanism;
  const needs: Partial<Record<typeof mech, keyof ServiceAuth>> = {
    negotiate: "negotiate",
    ntlm: "negotiate",
    kerberos: "kerberos",
    basic: "basic",
    credssp: "credSSP",
  };
  const key = needs[mech];
  if (key !== undefined && inputs.serviceAuth[key] === false) {
    return [
      {
        property: `serviceAuth.${key}`,
        reason: `must stay true: this connection authenticates with ${mech}, and turning it off would lock the provider out of the host`,
      },
    ];
  }
  return [];
}

const stateOf = (props: Props): WinRMProxyConfigState => storedState(props, "WinRMProxyConfig");

/** Put value key -> input property path, for adoption failures. */
function propertyOfValue(key: string): string {
  if (key === "AllowUnencrypted") return "allowUnencrypted";
  const k = key.replace(/^Auth\//, "");
  return `serviceAuth.${k === "CredSSP" ? "credSSP" : k === "CbtHardeningLevel" ? "cbtHardeningLevel" : k.toLowerCase()}`;
}

/** Adopting: the id names the connection's host, and the service already holds the declared settings. */
function assertAdoptable(id: string, endpoint: string, tree: ConfigTree, declared: ServiceAuth): void {
  const expectedId = winRMConfigId(endpoint);
  if (normalisedAdoptId(id, WINRM_CONFIG_ID_PREFIX) !== expectedId) {
    throw new ConfigurationError("adopt", `"${id}" does not name this connection's host; expected "${expectedId}"`);
  }
  const values = changesFor(tree, declared);
  const keys = Object.keys(values);
  const first = keys[0];
  if (first === undefined) return;
  const live = liveOf(tree);
  const liveValue = (k: string): string => {
    if (k === "AllowUnencrypted") return String(live.allowUnencrypted);
    const name = propertyOfValue(k).slice("serviceAuth.".length) as keyof LiveServiceAuth;
    return String(live.auth[name]);
  };
  throw new ConfigurationError(
    propertyOfValue(first),
    `does not match the host's WinRM service, so it cannot be adopted (import): the host has ${liveValue(first)}, the program ` +
      `declares ${values[first] ?? ""}` +
      (keys.length > 1 ? ` (also differing: ${keys.slice(1).map(propertyOfValue).join(", ")})` : "") +
      ". Adopting writes nothing to the host: declare the live values to adopt them, or drop adopt / the import option to have create apply them",
  );
}

async function converge(news: Props, previous: LiveServiceAuth | undefined, creating = false): Promise<WinRMProxyConfigState> {
  const inputs = parseInputs(winRMProxyConfigInputs, news);
  const raw = withoutProvider(news).connection;
  const p = await probe(raw);
  // One Get serves the adoption check, the settings found at create and the changes to Put.
  const tree = await p.client.getConfig(SERVICE);
  if (creating && inputs.adopt !== undefined) assertAdoptable(inputs.adopt, p.conn.endpoint, tree, inputs.serviceAuth);
  // Create (not adopting): the original comes from the backup on the host, written before the first Put.
  const original = creating && inputs.adopt === undefined ? await originalAtCreate(p.client, tree, inputs.serviceAuth) : undefined;
  const before = previous ?? original ?? liveOf(tree).auth;
  const live = await applyService(p.client, tree, inputs.serviceAuth);
  return plain({
    schemaVersion: SCHEMA_VERSION,
    connection: raw,
    endpoint: p.conn.endpoint,
    productVersion: p.productVersion,
    stack: p.stack,
    path: p.path,
    allowUnencrypted: live.allowUnencrypted,
    serviceAuth: live.auth,
    previousServiceAuth: before,
    onDelete: inputs.onDelete,
    declared: declaredOf(news),
  });
}

/**
 * The service settings the host had before this provider first changed them: the backup on the host when there is
 * one (a create interrupted after its Put and run again finds the true original there), else, before a Put, a backup
 * written now from the live document; undefined when nothing is to change and there is no backup.
 */
async function originalAtCreate(client: WinRMClient, tree: ConfigTree, declared: ServiceAuth): Promise<LiveServiceAuth | undefined> {
  const found = await readServiceOriginal(client);
  if (found !== undefined) return found.auth;
  // changesFor refuses settings the host lacks: before anything is written.
  if (Object.keys(changesFor(tree, declared)).length === 0) return undefined;
  const live = liveOf(tree);
  return (await ensureServiceOriginal(client, { auth: live.auth, allowUnencrypted: live.allowUnencrypted })).auth;
}

const AUTH_FLAGS = ["basic", "negotiate", "kerberos", "certificate", "credSSP"] as const;

/**
 * The inputs read() reports for state with `declared`: the declared inputs verbatim, with allowUnencrypted and each
 * serviceAuth key replaced by its live value only where the host differs from what was declared (defaults applied,
 * the same comparison as diff). A cbtHardeningLevel left unset is "leave as is": it never drifts.
 */
export function driftedConfigInputs(declared: Props, live: { allowUnencrypted: boolean; auth: LiveServiceAuth }): Props {
  const out: Props = plain(declared);
  if (live.allowUnencrypted) out.allowUnencrypted = true;
  const parsed = serviceAuthSchema.safeParse(declared.serviceAuth ?? {});
  if (!parsed.success) return out;
  const want = parsed.data;
  const given = out.serviceAuth;
  const auth: Record<string, unknown> = typeof given === "object" && given !== null && !Array.isArray(given) ? { ...given } : {};
  let drifted = false;
  for (const k of AUTH_FLAGS) {
    if (live.auth[k] !== want[k]) {
      auth[k] = live.auth[k];
      drifted = true;
    }
  }
  if (want.cbtHardeningLevel !== undefined && live.auth.cbtHardeningLevel.toLowerCase() !== want.cbtHardeningLevel.toLowerCase()) {
    if (live.auth.cbtHardeningLevel === "") delete auth.cbtHardeningLevel;
    else auth.cbtHardeningLevel = live.auth.cbtHardeningLevel;
    drifted = true;
  }
  if (drifted) out.serviceAuth = auth;
  return out;
}

export const winRMProxyConfig: ResourceProviderFunctions = {
  async check(_olds, news) {
    return checkWith(winRMProxyConfigInputs, news, lockoutFailures);
  },

  async diff(_id, olds, news) {
    const old = stateOf(olds);
    const n = withoutProvider(news);
    const d = new DiffBuilder();
    d.compareConnection(old.connection, n.connection);
    if (old.allowUnencrypted) d.change("allowUnencrypted");
    d.compare("onDelete", old.onDelete, n.onDelete ?? "retain", (v) => String(v));
    const parsed = serviceAuthSchema.safeParse(n.serviceAuth ?? {});
    if (!parsed.success) d.change("serviceAuth");
    else {
      const want = parsed.data;
      for (const k of AUTH_FLAGS) {
        if (old.serviceAuth[k] !== want[k]) d.change(`serviceAuth.${k}`);
      }
      if (want.cbtHardeningLevel !== undefined && old.serviceAuth.cbtHardeningLevel.toLowerCase() !== want.cbtHardeningLevel.toLowerCase()) {
        d.change("serviceAuth.cbtHardeningLevel");
      }
    }
    return d.result();
  },

  async create(news) {
    const state = await converge(news, undefined, true);
    return { id: winRMConfigId(state.endpoint), outs: state as unknown as Props };
  },

  async read(id, props = {}) {
    const p = withoutProvider(props);
    if (p.connection === undefined) {
      throw new ConfigurationError("connection", "is needed to read the host's WinRM service settings; give the resource its connection input");
    }
    const conn = connectionOf(p);
    if (id !== winRMConfigId(conn.endpoint)) {
      throw new ConfigurationError("id", `"${id}" does not name this connection's host; expected "${winRMConfigId(conn.endpoint)}"`);
    }
    const old = p.schemaVersion !== undefined ? stateOf(p) : undefined;
    const declared = old !== undefined ? storedDeclared(p) : undefined;
    const pr = await probe(p.connection);
    const live = liveOf(await pr.client.getConfig(SERVICE));
    const onDelete = old?.onDelete ?? (p.onDelete === "restore" ? "restore" : "retain");
    const state: WinRMProxyConfigState = plain({
      schemaVersion: SCHEMA_VERSION,
      connection: p.connection,
      endpoint: conn.endpoint,
      productVersion: pr.productVersion,
      stack: pr.stack,
      path: pr.path,
      allowUnencrypted: live.allowUnencrypted,
      serviceAuth: live.auth,
      previousServiceAuth: old?.previousServiceAuth ?? live.auth,
      onDelete,
      ...(declared !== undefined ? { declared } : {}),
    });
    if (declared !== undefined) {
      return { id, props: state as unknown as Props, inputs: plain({ ...driftedConfigInputs(declared, live), connection: p.connection }) };
    }
    // State written before `declared` existed, and no state: the inputs in the live form.
    const { cbtHardeningLevel, ...flags } = live.auth;
    const inputs: Props = plain({
      connection: p.connection,
      serviceAuth: { ...flags, ...(cbtHardeningLevel !== "" ? { cbtHardeningLevel } : {}) },
      onDelete,
    });
    return { id, props: state as unknown as Props, inputs };
  },

  async update(id, olds, news) {
    if (connectionOnlyChange(await winRMProxyConfig.diff(id, olds, news))) {
      // Same host, new credentials / timeouts / TLS / proxy: Put nothing; prove the new path (Identify, read-only)
      // so the `path` output stays the path the connection really takes.
      const p = await probe(withoutProvider(news).connection);
      return { outs: plain({ ...withNewConnection(olds, news), path: p.path, productVersion: p.productVersion, stack: p.stack }) };
    }
    const old = stateOf(olds);
    const state = await converge(news, old.previousServiceAuth);
    return { outs: state as unknown as Props };
  },

  async delete(_id, props) {
    const old = stateOf(props);
    // AllowUnencrypted stays false either way: restoring "true" would reopen cleartext WinRM.
    if (old.onDelete !== "restore") {
      // The settings stay and are now the host's own: the backup goes (best effort: "retain" must not need the host).
      try {
        await removeBackup(getClient(old.connection).client, "WinRMService");
      } catch {
        // the host is unreachable or refuses: the delete still succeeds
      }
      return;
    }
    const { client } = getClient(old.connection);
    const tree = await client.getConfig(SERVICE);
    await client.putConfig(SERVICE, authValues(tree, old.previousServiceAuth));
    // Last: a delete interrupted before this point and run again still finds the backup.
    await removeBackup(client, "WinRMService");
  },
};
