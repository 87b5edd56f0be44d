/**
 * WinRM configuration documents (WS-Transfer Get/Put on winrm/config resources; MS-WSMV 4.2.1, MS-WSMV 4.2.1).
 *
 * Each resource's document has a root element in the resource's own namespace (prefix cfg by convention), and every
 * descendant in that same namespace: cfg:Config (…/wsman/1/config), cfg:Service (…/config/service), cfg:Auth
 * (…/config/service/auth, root carries xml:lang), cfg:Client (…/config/client), cfg:Auth (…/config/client/auth),
 * cfg:Winrs (…/config/winrs). Containers hold elements; leaves hold text. Order matters to people reading
 * `winrm get`, so the tree keeps document order.
 */

import { ConfigurationError, ProtocolError } from "../errors.js";
import { xmlEscape } from "./envelope.js";
import { NS, RESOURCE_URI } from "./namespaces.js";
import { textOf, type XmlElement } from "./parse.js";

/** A configuration document: containers are nested trees, leaves strings. Insertion order = document order. */
export interface ConfigTree {
  [key: string]: string | ConfigTree;
}

export type ConfigPath =
  | "winrm/config"
  | "winrm/config/service"
  | "winrm/config/service/auth"
  | "winrm/config/client"
  | "winrm/config/client/auth"
  | "winrm/config/winrs";

export interface ConfigResource {
  resourceUri: string;
  /** Local name of the root element. */
  root: string;
  /** Namespace of the root and every descendant (the resource URI itself). */
  ns: string;
}

export const CONFIG_PATHS: Readonly<Record<ConfigPath, ConfigResource>> = {
  "winrm/config": { resourceUri: RESOURCE_URI.config, root: "Config", ns: RESOURCE_URI.config },
  "winrm/config/service": { resourceUri: RESOURCE_URI.configService, root: "Service", ns: RESOURCE_URI.configService },
  "winrm/config/service/auth": {
    resourceUri: RESOURCE_URI.configServiceAuth,
    root: "Auth",
    ns: RESOURCE_URI.configServiceAuth,
  },
  "winrm/config/client": { resourceUri: RESOURCE_URI.configClient, root: "Client", ns: RESOURCE_URI.configClient },
  "winrm/config/client/auth": {
    resourceUri: RESOURCE_URI.configClientAuth,
    root: "Auth",
    ns: RESOURCE_URI.configClientAuth,
  },
  "winrm/config/winrs": { resourceUri: RESOURCE_URI.configWinrs, root: "Winrs", ns: RESOURCE_URI.configWinrs },
};

/** "WinRM/Config/Service/" -> "winrm/config/service" (the CLI aliases are case-insensitive), or undefined. */
export function normalizeConfigPath(path: string): ConfigPath | undefined {
  let p = path.trim().replace(/\\/g, "/");
  // Trailing slashes off by a scan: /\/+$/ would retry at every slash of a long run (quadratic).
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 0x2f) end--;
  p = p.slice(0, end).toLowerCase();
  return Object.prototype.hasOwnProperty.call(CONFIG_PATHS, p) ? (p as ConfigPath) : undefined;
}

/** The resource URI of a winrm/config path. Throws ConfigurationError for a path we do not support. */
export function configResourceUri(path: string): string {
  const p = normalizeConfigPath(path);
  if (!p) {
    throw new ConfigurationError(
      "path",
      `unsupported WinRM configuration path "${path}"; expected one of ${Object.keys(CONFIG_PATHS).join(", ")}`,
    );
  }
  return CONFIG_PATHS[p].resourceUri;
}

/**
 * An empty tree with no prototype: element names are data, so a document with `<cfg:__proto__>` or
 * `<cfg:constructor>` adds keys by those names and never changes what the tree inherits.
 */
export function emptyConfigTree(): ConfigTree {
  return Object.create(null) as ConfigTree;
}

function toTree(el: XmlElement): ConfigTree {
  const tree = emptyConfigTree();
  for (const c of el.children) {
    // A key seen twice keeps its first position; the later value wins (documents we accept have unique keys).
    tree[c.local] = c.children.length > 0 ? toTree(c) : textOf(c);
  }
  return tree;
}

/**
 * Read a configuration document. `body` is s:Body (its first element is the document) or the document's root.
 * Throws ProtocolError when the root is not one of the known resources.
 */
export function parseConfigDocument(body: XmlElement): { path: ConfigPath; tree: ConfigTree } {
  const root = body.ns === NS.s && body.local === "Body" ? body.children[0] : body;
  if (!root) throw new ProtocolError("configuration response with an empty body");
  const path = (Object.keys(CONFIG_PATHS) as ConfigPath[]).find(
    (p) => CONFIG_PATHS[p].ns === root.ns && CONFIG_PATHS[p].root === root.local,
  );
  if (!path) throw new ProtocolError(`not a WinRM configuration document: root {${root.ns}}${root.local}`);
  return { path, tree: toTree(root) };
}

const XML_NAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

function renderTree(tree: ConfigTree): string {
  let x = "";
  for (const [k, v] of Object.entries(tree)) {
    if (!XML_NAME.test(k)) throw new ProtocolError(`configuration key "${k}" is not a valid element name`);
    x += typeof v === "string" ? `<cfg:${k}>${xmlEscape(v)}</cfg:${k}>` : `<cfg:${k}>${renderTree(v)}</cfg:${k}>`;
  }
  return x;
}

/**
 * The document for a Put or a Get response (body XML), root in the resource's namespace, with xml:lang unless
 * `opts.xmlLang` is false (Windows' GetResponse for winrm/config has none on cfg:Config; the client's Put keeps it).
 */
export function renderConfigDocument(path: string, tree: ConfigTree, opts: { xmlLang?: boolean } = {}): string {
  const p = normalizeConfigPath(path);
  if (!p) throw new ConfigurationError("path", `unsupported WinRM configuration path "${path}"`);
  const r = CONFIG_PATHS[p];
  const lang = opts.xmlLang === false ? "" : ` xml:lang="en-US"`;
  return `<cfg:${r.root} xmlns:cfg="${r.ns}"${lang}>${renderTree(tree)}</cfg:${r.root}>`;
}
