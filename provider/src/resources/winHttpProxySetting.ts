/**
 * WinHttpProxySetting: the WinHTTP default proxy of one Windows host (what WinRM 1.1 and every WinHTTP service use to
 * reach the network; provider/src/hosts/winhttp.ts).
 *
 * id: `winhttp:<endpoint>` (the normalised WinRM endpoint, e.g. `winhttp:https://web01.corp.example:5986/wsman`):
 * one host has one WinHTTP default proxy.
 *
 * Adopting a setting the host already has: the `adopt: "<id>"` input (the SDK turns the `import: "<id>"` resource
 * option into it; the engine's own import step cannot read a dynamic resource, see schemas.ts adoptField). Create then
 * checks that the id names the connection's host and that the live setting means what the program declares, and
 * writes nothing to the host; a mismatch fails naming the property. `previous` is the adopted setting itself, so the
 * default onDelete "restore" leaves the host as it was found (after a later update, destroy puts the adopted value
 * back); "reset" and "retain" work as for a created setting. `adopt` matters at create only: diff ignores it, so the
 * `import` option can be removed from the program afterwards.
 *
 * read() returns as inputs the declared ones verbatim (an array bypass list stays an array, omitted defaults stay
 * omitted) with only proxyServer / bypassList / directAccess replaced, and only when the live setting does not mean
 * the same: a refresh with no real change shows no change, a real drift shows only what drifted.
 *
 * State (schemaVersion 1):
 *   connection (secret), endpoint, proxyServer, bypassList, directAccess, importFromIe, onDelete   as declared, except
 *                                   that proxyServer / bypassList / directAccess are the LIVE values after read()
 *                                   (kept in the declared spelling when equivalent: no false drift)
 *   accessType                      live: "direct" | "proxy"
 *   expected                        what the last create/update applied (an IE import's result: drift is measured
 *                                   against it)
 *   previous                        the setting found at create ({ exists, accessType, proxyServer, bypassList })
 *   declared                        the inputs as the program wrote them, without connection (absent in state
 *                                   written before it existed: read() then reports the live form, as it used to)
 *   tool, productVersion            netsh | proxycfg, and Identify's ProductVersion
 */
import type { WinRMClient } from "../client.js";
import { normaliseEndpoint } from "../connection.js";
import { ConfigurationError } from "../errors.js";
import {
  applyWinHttpProxy,
  canonicalState,
  DIRECT,
  normalizedState,
  readWinHttpProxy,
  winHttpToolFor,
  type LiveWinHttpProxy,
  type WinHttpTool,
} from "../hosts/winhttp.js";
import {
  normalizeBypassList,
  normalizeProxyServer,
  sameProxyState,
  splitList,
  type WinHttpProxyState,
} from "../hosts/winhttpSettings.js";
import { removeBackup } from "../hosts/backup.js";
import { completeWinHttpOriginal, originalSetting, readWinHttpOriginal, restoreWinHttpOriginal } from "../hosts/winhttpBackup.js";
import { getClient } from "./clientPool.js";
import {
  bypassString,
  checkWith,
  connectionOf,
  declaredOf,
  normalisedAdoptId,
  parseInputs,
  plain,
  SCHEMA_VERSION,
  storedDeclared,
  storedState,
  winHttpProxySettingInputs,
  withoutProvider,
  type WinHttpProxySettingInputs,
} from "./schemas.js";
import { connectionOnlyChange, DiffBuilder, withNewConnection, type Props, type ResourceProviderFunctions } from "./types.js";

export const WINHTTP_ID_PREFIX = "winhttp:";

export interface WinHttpProxySettingState {
  schemaVersion: number;
  connection: unknown;
  endpoint: string;
  proxyServer: string;
  bypassList: string;
  directAccess: boolean;
  importFromIe: boolean;
  onDelete: "restore" | "reset" | "retain";
  accessType: "direct" | "proxy";
  expected: WinHttpProxyState;
  previous: LiveWinHttpProxy;
  tool: WinHttpTool;
  productVersion: string;
  declared?: Props;
}

export function winHttpId(endpoint: string): string {
  return `${WINHTTP_ID_PREFIX}${normaliseEndpoint(endpoint)}`;
}

/** The state the inputs ask for; "importFromIe" when it comes from the host's IE settings. */
function desiredOf(inputs: WinHttpProxySettingInputs): WinHttpProxyState | "importFromIe" {
  if (inputs.importFromIe === true) return "importFromIe";
  if (inputs.directAccess === true || inputs.proxyServer === undefined) return { ...DIRECT };
  return { accessType: "proxy", proxyServer: inputs.proxyServer.trim(), bypassList: bypassString(inputs.bypassList) };
}

async function hostFacts(client: WinRMClient): Promise<{ tool: WinHttpTool; productVersion: string }> {
  const id = await client.identify();
  return { tool: winHttpToolFor(id), productVersion: id.productVersion };
}

/**
 * Live values in the declared spelling where they mean the same (no false drift), else as the host stores them; per
 * property, so that a drifted server does not show an equivalent bypass list as changed too.
 */
function presentLive(live: WinHttpProxyState, declared: WinHttpProxyState | undefined): WinHttpProxyState {
  const l = canonicalState(live);
  if (declared === undefined) return l;
  const d = canonicalState(declared);
  if (l.accessType === "direct" || d.accessType === "direct") return sameProxyState(l, d) ? d : l;
  const nl = normalizedState(l);
  const nd = normalizedState(d);
  return {
    accessType: "proxy",
    proxyServer: nl.proxyServer === nd.proxyServer ? d.proxyServer : l.proxyServer,
    bypassList: nl.bypassList === nd.bypassList ? d.bypassList : l.bypassList,
  };
}

function buildState(
  inputs: WinHttpProxySettingInputs,
  declared: Props,
  rawConnection: unknown,
  live: LiveWinHttpProxy,
  expected: WinHttpProxyState,
  previous: LiveWinHttpProxy,
  facts: { tool: WinHttpTool; productVersion: string },
): WinHttpProxySettingState {
  const shown = presentLive(live, expected);
  return plain({
    schemaVersion: SCHEMA_VERSION,
    connection: rawConnection,
    endpoint: connectionOf({ connection: rawConnection }).endpoint,
    proxyServer: shown.proxyServer,
    bypassList: shown.bypassList,
    directAccess: shown.accessType === "direct",
    importFromIe: inputs.importFromIe === true,
    onDelete: inputs.onDelete,
    accessType: shown.accessType,
    expected: canonicalState(expected),
    previous: { exists: previous.exists, ...canonicalState(previous) },
    tool: facts.tool,
    productVersion: facts.productVersion,
    declared,
  });
}

const stateOf = (props: Props): WinHttpProxySettingState => storedState(props, "WinHttpProxySetting");

/** Two recorded settings are the same original: both absent, or both present and meaning the same. */
function sameSetting(a: LiveWinHttpProxy, b: LiveWinHttpProxy): boolean {
  return a.exists === b.exists && sameProxyState(a, b);
}

function describeSetting(s: WinHttpProxyState, what: "proxyServer" | "bypassList"): string {
  if (s.accessType === "direct") return "direct access";
  return what === "proxyServer" ? JSON.stringify(s.proxyServer) : JSON.stringify(s.bypassList);
}

/**
 * Adopting (create with `adopt`): the id must name the connection's host and the live setting must mean what the
 * program declares (sameProxyState's normalisation); otherwise a ConfigurationError naming the differing property.
 */
export function assertAdoptable(id: string, endpoint: string, live: WinHttpProxyState, desired: WinHttpProxyState): void {
  const expectedId = winHttpId(endpoint);
  if (normalisedAdoptId(id, WINHTTP_ID_PREFIX) !== expectedId) {
    throw new ConfigurationError("adopt", `"${id}" does not name this connection's host; expected "${expectedId}"`);
  }
  if (sameProxyState(live, desired)) return;
  const l = normalizedState(canonicalState(live));
  const d = normalizedState(canonicalState(desired));
  let property: string;
  let what: "proxyServer" | "bypassList" = "proxyServer";
  if (l.accessType !== d.accessType) property = d.accessType === "direct" ? "directAccess" : "proxyServer";
  else if (l.proxyServer !== d.proxyServer) property = "proxyServer";
  else {
    property = "bypassList";
    what = "bypassList";
  }
  throw new ConfigurationError(
    property,
    `does not match the host's setting, so it cannot be adopted (import): the host has ${describeSetting(canonicalState(live), what)}, ` +
      `the program declares ${describeSetting(canonicalState(desired), what)}. Adopting writes nothing to the host: declare the live ` +
      `value to adopt it (change it in a later update), or drop adopt / the import option to have create set it`,
  );
}

async function converge(
  news: Props,
  previousAtCreate: LiveWinHttpProxy | undefined,
  creating = false,
): Promise<WinHttpProxySettingState> {
  const inputs = parseInputs(winHttpProxySettingInputs, news);
  const rawConnection = withoutProvider(news).connection;
  const { client } = getClient(rawConnection);
  const facts = await hostFacts(client);
  const before = await readWinHttpProxy(client);
  const desired = desiredOf(inputs);
  if (creating && inputs.adopt !== undefined) {
    if (desired === "importFromIe") throw new ConfigurationError("adopt", "conflicts with importFromIe");
    assertAdoptable(inputs.adopt, connectionOf({ connection: rawConnection }).endpoint, before, desired);
  }
  const willChange = desired === "importFromIe" || !sameProxyState(before, desired);
  // Create (not adopting): the original comes from the backup on the host, written before the first change.
  const original = creating && inputs.adopt === undefined ? await originalAtCreate(client, willChange) : undefined;
  let live = before;
  let expected: WinHttpProxyState;
  if (willChange) {
    // An IE import always runs: what it copies lives in the user's hive, not in our state.
    const r = await applyWinHttpProxy(client, facts.tool, desired, before);
    live = r.live;
    expected = desired === "importFromIe" ? canonicalState(live) : desired;
  } else {
    expected = desired;
  }
  return buildState(inputs, declaredOf(news), rawConnection, live, expected, previousAtCreate ?? original ?? before, facts);
}

/**
 * The setting the host had before this provider first changed it: the backup on the host when there is one (a create
 * that was interrupted after its change and is run again finds the true original there, not its own change), else,
 * before a change, a backup written now from the live values; undefined when nothing is to change and no backup
 * exists (the live value is then the original).
 */
async function originalAtCreate(client: WinRMClient, willChange: boolean): Promise<LiveWinHttpProxy | undefined> {
  const found = await readWinHttpOriginal(client);
  if (found?.original.native !== undefined && (found.complete || !willChange)) return originalSetting(found.original.native);
  if (!willChange) return undefined;
  return originalSetting((await completeWinHttpOriginal(client, found)).native);
}

/**
 * The inputs read() reports for state with `declared`: the declared inputs verbatim, with proxyServer / bypassList /
 * directAccess replaced by the live values only where the live setting does not mean the same (sameProxyState's
 * normalisation: case, order, separators). A replaced bypass list keeps the declared form (array or string). An IE
 * import keeps its inputs: its drift is measured against `expected` in the state, and no other input can say "import".
 */
export function driftedInputs(declared: Props, live: WinHttpProxyState): Props {
  const out: Props = { ...declared };
  if (declared.importFromIe === true) return out;
  const want = desiredOf(declared as WinHttpProxySettingInputs);
  if (want === "importFromIe") return out;
  const liveDirect = canonicalState(live).accessType === "direct";
  const setBypass = (): void => {
    const entries = splitList(live.bypassList);
    if (entries.length === 0) delete out.bypassList;
    else out.bypassList = Array.isArray(declared.bypassList) ? entries : live.bypassList;
  };
  if (liveDirect !== (canonicalState(want).accessType === "direct")) {
    if (liveDirect) {
      delete out.proxyServer;
      delete out.bypassList;
      out.directAccess = true;
    } else {
      delete out.directAccess;
      out.proxyServer = live.proxyServer;
      setBypass();
    }
    return out;
  }
  if (liveDirect) return out;
  const l = normalizedState(live);
  const w = normalizedState(want);
  if (l.proxyServer !== w.proxyServer) out.proxyServer = live.proxyServer;
  if (l.bypassList !== w.bypassList) setBypass();
  return out;
}

export const winHttpProxySetting: ResourceProviderFunctions = {
  async check(_olds, news) {
    return checkWith(winHttpProxySettingInputs, news);
  },

  async diff(_id, olds, news) {
    const old = stateOf(olds);
    const n = withoutProvider(news);
    const d = new DiffBuilder();
    d.compareConnection(old.connection, n.connection);
    const importFromIe = n.importFromIe === true;
    d.compare("importFromIe", old.importFromIe, importFromIe, String);
    d.compare("onDelete", old.onDelete, n.onDelete ?? "restore", (v) => String(v));
    const live: WinHttpProxyState = { accessType: old.accessType, proxyServer: old.proxyServer, bypassList: old.bypassList };
    if (importFromIe) {
      // Drift for an import is measured against what the import gave.
      if (!sameProxyState(live, old.expected)) d.change("proxyServer");
    } else {
      const proxyServer = n.proxyServer;
      const wantsDirect = n.directAccess === true || proxyServer === undefined;
      d.compare("directAccess", old.directAccess, wantsDirect, String);
      if (!wantsDirect) {
        d.compare("proxyServer", old.proxyServer, proxyServer, (v) => normalizeProxyServer(String(v)));
        d.compare("bypassList", old.bypassList, n.bypassList, (v) => normalizeBypassList(bypassString(v as string | string[] | undefined)));
      }
    }
    return d.result();
  },

  async create(news) {
    const state = await converge(news, undefined, true);
    return { id: winHttpId(state.endpoint), outs: state as unknown as Props };
  },

  async read(id, props = {}) {
    const p = withoutProvider(props);
    if (p.connection === undefined) {
      throw new ConfigurationError("connection", "is needed to read the host's WinHTTP proxy; give the resource its connection input (import with the inputs set)");
    }
    const conn = connectionOf(p);
    if (id !== winHttpId(conn.endpoint)) {
      throw new ConfigurationError("id", `"${id}" does not name this connection's host; expected "${winHttpId(conn.endpoint)}"`);
    }
    const old = p.schemaVersion !== undefined ? stateOf(p) : undefined;
    const declaredInputs = old !== undefined ? storedDeclared(p) : undefined;
    const { client } = getClient(p.connection);
    const facts = await hostFacts(client);
    const live = await readWinHttpProxy(client);
    // No state (a read from an id and the connection alone; the engine's import step never gets here for a dynamic
    // resource, see adopt): the live value is the declared one; "previous" is what the host has now.
    const declared: WinHttpProxyState =
      old !== undefined
        ? old.importFromIe
          ? old.expected
          : { accessType: old.accessType, proxyServer: old.proxyServer, bypassList: old.bypassList }
        : live;
    const onDelete = (old?.onDelete ?? (typeof p.onDelete === "string" ? p.onDelete : "restore")) as WinHttpProxySettingState["onDelete"];
    const importFromIe = old?.importFromIe ?? p.importFromIe === true;
    const shown = presentLive(live, declared);
    const state: WinHttpProxySettingState = plain({
      schemaVersion: SCHEMA_VERSION,
      connection: p.connection,
      endpoint: conn.endpoint,
      proxyServer: shown.proxyServer,
      bypassList: shown.bypassList,
      directAccess: shown.accessType === "direct",
      importFromIe,
      onDelete,
      accessType: shown.accessType,
      expected: old?.expected ?? canonicalState(live),
      previous: old?.previous ?? { exists: live.exists, ...canonicalState(live) },
      tool: facts.tool,
      productVersion: facts.productVersion,
      ...(declaredInputs !== undefined ? { declared: declaredInputs } : {}),
    });
    if (declaredInputs !== undefined) {
      return { id, props: state as unknown as Props, inputs: plain({ ...driftedInputs(declaredInputs, live), connection: p.connection }) };
    }
    // State written before `declared` existed, and no state: the inputs in the live form.
    const inputs: Props = plain({
      connection: p.connection,
      ...(importFromIe
        ? { importFromIe: true }
        : shown.accessType === "direct"
          ? { directAccess: true }
          : { proxyServer: shown.proxyServer, ...(shown.bypassList !== "" ? { bypassList: shown.bypassList } : {}) }),
      onDelete,
    });
    return { id, props: state as unknown as Props, inputs };
  },

  async update(id, olds, news) {
    // A new password, timeout, TLS or proxy setting reaches the same host: record it, run no netsh / proxycfg.
    if (connectionOnlyChange(await winHttpProxySetting.diff(id, olds, news))) return { outs: withNewConnection(olds, news) };
    const old = stateOf(olds);
    const state = await converge(news, old.previous);
    return { outs: state as unknown as Props };
  },

  async delete(_id, props) {
    const old = stateOf(props);
    if (old.onDelete === "retain") {
      // The host keeps the setting, which is now its own: the backup goes, so a later create takes the live value as
      // the original. Best effort: "retain" must not need the host (it may be gone), and a backup left behind only
      // matters to a later create on the same host.
      try {
        await removeBackup(getClient(old.connection).client, "WinHttpSettings");
      } catch {
        // the host is unreachable or refuses: the delete still succeeds
      }
      return;
    }
    const { client } = getClient(old.connection);
    const found = await readWinHttpOriginal(client);
    const backup = found?.complete === true ? (found.original as { native: Buffer | null; wow64: Buffer | null }) : undefined;
    if (old.onDelete === "restore" && backup !== undefined && sameSetting(originalSetting(backup.native), old.previous)) {
      // The exact bytes the host had (both registry views, change counter included).
      await restoreWinHttpOriginal(client, backup);
    } else {
      // "reset", state written without a backup (an adopted setting, older versions), or a backup of another value.
      const target: WinHttpProxyState = old.onDelete === "reset" || !old.previous.exists ? { ...DIRECT } : old.previous;
      const facts = await hostFacts(client);
      const live = await readWinHttpProxy(client);
      if (!sameProxyState(live, target)) await applyWinHttpProxy(client, facts.tool, canonicalState(target), live);
    }
    // Last: a delete interrupted before this point and run again still finds the backup.
    if (found !== undefined) await removeBackup(client, "WinHttpSettings");
  },
};

