/**
 * What each resource's outputs mean: the one written description of every output that is no input (and of the few
 * that mean something else than the input of the same name, e.g. the live value). Outputs that echo an input take
 * the input's `.describe()` text. Typed against the provider's state types, so a new state field without a
 * description here fails to compile.
 */
import type { CopyToRemoteDeclaredInputs, RemoteCommandDeclaredInputs, WinHttpProxySettingDeclaredInputs, WinRMProxyConfigDeclaredInputs } from "../resources/schemas.js";
import type { CopyToRemoteState } from "../resources/copyToRemote.js";
import type { RemoteCommandState } from "../resources/remoteCommand.js";
import type { WinHttpProxySettingState } from "../resources/winHttpProxySetting.js";
import type { WinRMProxyConfigState } from "../resources/winRMProxyConfig.js";

/** State fields that are not outputs: `declared` is the provider's private copy of the inputs. */
type Private = "declared";

export interface OutputDocs<State, Inputs> {
  /** Every output that is no input, with its description. */
  readonly computed: { readonly [K in Exclude<keyof State, keyof Inputs | Private>]-?: string };
  /** Outputs that share an input's name but hold something else (the live value): their own description. */
  readonly overrides?: { readonly [K in keyof State & keyof Inputs]?: string };
  /** Inputs that are not kept in the state (no output of that name). */
  readonly notStored?: readonly Exclude<keyof Inputs, keyof State>[];
}

const SCHEMA_VERSION_DOC = "Layout version of the stored state (read and migrated by the provider).";
const ENDPOINT_DOC = "The connection's endpoint, normalised (scheme://host:port/path): the host this resource manages.";

export const remoteCommandOutputDocs: OutputDocs<RemoteCommandState, RemoteCommandDeclaredInputs> = {
  computed: {
    schemaVersion: SCHEMA_VERSION_DOC,
    endpoint: ENDPOINT_DOC,
    stdout: "Standard output of the last create or update command.",
    stderr: "Standard error of the last create or update command.",
    exitCode: "Exit code of the last create or update command (0: a non-zero exit fails the operation).",
  },
};

export const copyToRemoteOutputDocs: OutputDocs<CopyToRemoteState, CopyToRemoteDeclaredInputs> = {
  computed: {
    schemaVersion: SCHEMA_VERSION_DOC,
    endpoint: ENDPOINT_DOC,
    contentHash:
      "sha256 over the copied files' relative paths and sha256s, as the host holds them (after a refresh: as it found " +
      "them). A preview compares it with the same hash of the local source: a difference replaces the resource.",
    files:
      'Each copied file: path (relative to remotePath, "/"-separated; "" for a file source), sha256 on the host ("" ' +
      "when a refresh found it missing or, on a host that computes SHA-1 only, changed), sha1 on such a host " +
      "(Server 2003: what a refresh compares) and bytes (its size when copied).",
    fileCount: "How many files were copied.",
    bytes: "Total size of the copied files.",
  },
};

export const winHttpProxySettingOutputDocs: OutputDocs<WinHttpProxySettingState, WinHttpProxySettingDeclaredInputs> = {
  computed: {
    schemaVersion: SCHEMA_VERSION_DOC,
    endpoint: ENDPOINT_DOC,
    accessType: 'The live access type: "direct" (no proxy) or "proxy".',
    expected: "What the last create or update applied (for importFromIe, the imported result): drift is measured against it.",
    previous: 'The setting found at create ({ exists, accessType, proxyServer, bypassList }), restored on destroy with onDelete "restore".',
    tool: '"netsh" or "proxycfg", chosen from the host\'s Identify version.',
    productVersion: "The host's ProductVersion from WS-Management Identify.",
  },
  overrides: {
    proxyServer: 'The live proxy server ("" for direct access), in the declared spelling when equivalent.',
    bypassList: 'The live bypass list, ";"-separated ("" when none), in the declared spelling when equivalent.',
    directAccess: "Whether the host goes direct, with no proxy (the live value).",
    importFromIe: "Whether the setting was imported from Internet Explorer, as declared (false when not given).",
  },
  notStored: ["adopt"],
};

export const winRMProxyConfigOutputDocs: OutputDocs<WinRMProxyConfigState, WinRMProxyConfigDeclaredInputs> = {
  computed: {
    schemaVersion: SCHEMA_VERSION_DOC,
    endpoint: ENDPOINT_DOC,
    productVersion: "The host's ProductVersion from WS-Management Identify.",
    stack: 'The WinRM stack version from Identify\'s ProductVersion ("OS: 10.0.17763 SP: 0.0 Stack: 3.0" gives "3.0").',
    path: "The path as the connection took it: mechanism, encrypted, sealed, tls, transport (direct | tunnel | forward), proxy.",
    previousServiceAuth: 'The service\'s auth settings found at create (what onDelete "restore" puts back).',
  },
  overrides: {
    connection: "The verified connection, for the other resources (secret).",
    serviceAuth: "The service's authentication schemes as read from the host.",
  },
  notStored: ["adopt"],
};
