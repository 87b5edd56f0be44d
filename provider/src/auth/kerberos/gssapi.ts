/**
 * Typed loader for the native GSSAPI addon (native/gssapi.c, built by node-gyp from the root binding.gyp into
 * build/Release/winrm_gssapi.node). Only the Kerberos mechanisms load it: when it is missing they fail with a
 * ConfigurationError that says how to build it, and nothing else in the product notices.
 *
 * What the addon does (MIT krb5 underneath): password credentials held in memory only
 * (gss_acquire_cred_with_password), Kerberos or SPNEGO contexts with RFC 5929 channel bindings on both sides, and
 * gss_wrap_iov / gss_unwrap_iov in WinRM's HEADER | DATA | PADDING layout (MS-WSMV 2.2.9.1.2.2; for AES the header is
 * 60 bytes: 16-byte RFC 4121 4.2.6.2 token with EC 0 and RRC 28, then the rotated trailer and confounder).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { ConfigurationError } from "../../errors.js";

declare const credBrand: unique symbol;
declare const ctxBrand: unique symbol;

/** A GSS credential (initiator). Released by its finalizer, or early by `release`. */
export interface CredHandle {
  readonly [credBrand]: true;
}

/** A GSS security context (one per TCP connection in WinRM). Released by its finalizer, or early by `release`. */
export interface ContextHandle {
  readonly [ctxBrand]: true;
}

/** GSS context flags (RFC 2744 3.9.1; CHANNEL_BOUND is MIT's, krb5 1.19+). Same values as the addon's `flags`. */
export const GSS_FLAGS = {
  DELEG: 1,
  MUTUAL: 2,
  REPLAY: 4,
  SEQUENCE: 8,
  CONF: 16,
  INTEG: 32,
  ANON: 64,
  PROT_READY: 128,
  TRANS: 256,
  /** Acceptor only: the initiator sent channel bindings and they matched ours. */
  CHANNEL_BOUND: 2048,
  DELEG_POLICY: 32768,
} as const;

export type GssFlagName = keyof typeof GSS_FLAGS;

export interface InitSecContextOptions {
  /** "HTTP@host" (GSS host-based service: realm from krb5.conf [domain_realm]) or "HTTP/host@REALM". First call only. */
  target?: string;
  /** Default: the default ccache (KRB5CCNAME). First call only; the context keeps it. */
  cred?: CredHandle;
  /** "krb5" (raw AP-REQ, `Authorization: Kerberos`) or "spnego" (`Authorization: Negotiate`, krb5 only inside). Default krb5. */
  mech?: "krb5" | "spnego";
  /** Requested GSS_FLAGS; default MUTUAL | REPLAY | SEQUENCE | CONF | INTEG. */
  flags?: number;
  /** RFC 5929 application data ("tls-server-end-point:" || hash), not the whole gss_channel_bindings_struct. First call only. */
  channelBindings?: Uint8Array;
  /** The peer's token (AP-REP / negTokenResp) on the second and later calls. */
  input?: Uint8Array;
  /** The context from the previous call. */
  ctx?: ContextHandle;
}

export interface InitSecContextResult {
  ctx: ContextHandle;
  /** Token to send (may be empty when complete). */
  token: Buffer;
  complete: boolean;
  /** GSS_FLAGS the context has (or will have). */
  flags: number;
  /** "krb5", "spnego", "ntlm" or a dotted OID. */
  mech?: string;
}

export interface AcceptSecContextOptions {
  ctx?: ContextHandle;
  input: Uint8Array;
  /** First call only. MIT accepts an initiator that sent none; check GSS_FLAGS.CHANNEL_BOUND to require them. */
  channelBindings?: Uint8Array;
  /** Keytab file path; default KRB5_KTNAME / the system keytab. First call only. */
  keytab?: string;
}

export interface AcceptSecContextResult {
  ctx: ContextHandle;
  token: Buffer;
  complete: boolean;
  flags: number;
  /** The negotiated mech: "krb5" also under SPNEGO. */
  mech?: string;
  /** The initiator spoke SPNEGO (Negotiate) rather than raw krb5. */
  spnego: boolean;
  /** "user@REALM", once complete. */
  initiator?: string;
}

export interface WrapIovResult {
  /** For AES: 60 bytes (16-byte token header, EC 0, RRC 28, + the rotated 44-byte trailer). */
  header: Buffer;
  /** Ciphertext, as long as the plaintext (AES-CTS). */
  data: Buffer;
  /** Empty for AES. */
  padding: Buffer;
}

export interface GssapiAddon {
  /** AS exchange with the KDC (libuv thread pool); the ticket lives in a MEMORY ccache owned by the handle. */
  acquireCredWithPassword(principal: string, password: string): Promise<CredHandle>;
  /** May run a TGS exchange (libuv thread pool). */
  initSecContext(options: InitSecContextOptions): Promise<InitSecContextResult>;
  acceptSecContext(options: AcceptSecContextOptions): AcceptSecContextResult;
  /** Seals `data` (copied; the input is untouched). `conf` defaults to true. */
  wrapIov(ctx: ContextHandle, data: Uint8Array, conf?: boolean): WrapIovResult;
  /** Throws a GssError on a bad MIC, a replayed or out-of-order token, and an Error on a token that is not encrypted. */
  unwrapIov(ctx: ContextHandle, header: Uint8Array, data: Uint8Array): Buffer;
  /** Releases a context or credential now (a credential still used by a context goes with the context). */
  release(handle: ContextHandle | CredHandle): void;
  displayStatus(major: number, minor: number): string;
  /** Native handles alive (tests of the finalizers). */
  liveHandles(): number;
  readonly flags: Readonly<Record<GssFlagName, number>>;
}

/**
 * What the addon throws for a failed GSS call: `code` is the routine error ("GSS_S_BAD_MIC", "GSS_S_NO_CRED",
 * "GSS_S_BAD_BINDINGS", ...) or a supplementary one for unwrap ("GSS_S_DUPLICATE_TOKEN"); the message has the
 * library's major and minor texts (e.g. "Server HTTP/x@R not found in Kerberos database"), never a secret.
 */
export interface GssError extends Error {
  name: "GssError";
  code: string;
  major: number;
  minor: number;
  /** Acceptor: a reject token (SPNEGO reject / KRB-ERROR) the library produced. */
  token?: Buffer;
}

export function isGssError(e: unknown): e is GssError {
  return e instanceof Error && e.name === "GssError" && typeof (e as Partial<GssError>).major === "number";
}

/** build/Release of the package root: from dist/provider/src/auth/kerberos/ five levels up. */
const ROOT = fileURLToPath(new URL("../../../../../", import.meta.url));
export const ADDON_PATH = fileURLToPath(new URL("../../../../../build/Release/winrm_gssapi.node", import.meta.url));

let loaded: { addon: GssapiAddon } | { error: unknown } | undefined;

function tryLoad(): { addon: GssapiAddon } | { error: unknown } {
  if (loaded === undefined) {
    try {
      if (!existsSync(ADDON_PATH)) throw new Error(`${ADDON_PATH} does not exist`);
      const require = createRequire(import.meta.url);
      loaded = { addon: require(ADDON_PATH) as GssapiAddon };
    } catch (error) {
      loaded = { error };
    }
  }
  return loaded;
}

/** Whether the addon is built and loads (libgssapi_krb5 present). */
export function gssapiAvailable(): boolean {
  return "addon" in tryLoad();
}

/**
 * The addon, or a ConfigurationError (on `field`, e.g. "auth") that says how to get it. Loaded once; the result,
 * good or bad, is cached.
 */
export function loadGssapi(field = "auth"): GssapiAddon {
  const r = tryLoad();
  if ("addon" in r) return r.addon;
  const why = r.error instanceof Error ? r.error.message : String(r.error);
  throw new ConfigurationError(
    field,
    `Kerberos needs the native GSSAPI addon (${ADDON_PATH}), which is not available (${why}). ` +
      `Install the MIT Kerberos development files (Debian/Ubuntu: apt-get install libkrb5-dev; Fedora/RHEL: ` +
      `krb5-devel), then run "npm rebuild" (or "npx node-gyp rebuild") in ${ROOT}. NTLM and Basic work without it.`,
    { cause: r.error },
  );
}
