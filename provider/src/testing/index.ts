/**
 * `pulumi-winrm-proxy/testing`: an emulated Windows WinRM host for testing Pulumi programs and scripts without
 * Windows (docs/testing.md). It speaks WS-Management (MS-WSMV) over HTTP or HTTPS, authenticates with NTLM, Basic
 * and (given a keytab) Kerberos, runs the cmd/PowerShell/reg/netsh/proxycfg/winrm subset in ./host, and logs every
 * request.
 *
 *   const host = await startEmulatedHost({ profile: "win2019", users: [{ username: "EXAMPLE\\alice", password: "…" }] });
 *   // … point the client (or pywinrm, or a proxy) at host.url …
 *   await host.close();
 *
 * Host settings (what a real machine would be configured with: profile, locale, names, accounts, TLS, auth) are
 * kept apart from `scenario`, the knobs a test turns to make the host misbehave or be deterministic.
 */
import type { CertificateAuthOptions } from "./certMapping.js";
import type { CredSSPScenario } from "../auth/credsspAcceptor.js";
import { EmulatedHost, type EmulatedHostOptions } from "./host/host.js";
import type { Locale } from "./host/locales.js";
import type { ProfileName } from "./host/profiles.js";
import type { RequestLogEntry } from "./requestLog.js";
import { WinRMEmulator, type CbtHardeningLevel } from "./server.js";
import type { SignatureHash } from "./tls.js";

export interface EmulatedHostTls {
  /** Signature hash of the generated CA and server certificates (it decides the channel-binding hash); default SHA-256. */
  hash?: SignatureHash;
}

export interface EmulatedHostAuth {
  /** Service/Auth/CbtHardeningLevel (HTTPS only); default the profile's config (Relaxed). */
  cbtHardening?: CbtHardeningLevel;
  /** Keytab with the host's `HTTP/<name>` keys: accept Kerberos (realm from KRB5_CONFIG). Needs the GSSAPI addon. */
  keytab?: string;
  /** With a keytab, also offer the `Kerberos` HTTP scheme beside `Negotiate` (default true). */
  offerKerberosScheme?: boolean;
  /**
   * Certificate authentication (https/mutual; HTTPS only): the client CAs the host trusts and its
   * winrm/config/service/certmapping entries. Turn it on with `config: { "winrm/config/service/auth": { Certificate: "true" } }`.
   */
  certificate?: CertificateAuthOptions;
}

/** Test-only behaviour, not a setting of a real host. */
export interface EmulatedHostScenario {
  /** Cap any OperationTimeout at this many ms (a long Receive returns sooner). */
  maxOperationTimeoutMs?: number;
  /** Most output bytes per Receive before base64 (default 64 KiB): small values force many Receive round trips. */
  receiveChunkBytes?: number;
  /** Close the connection after the anonymous 401, as some captures show. */
  closeAfterAnonymous401?: boolean;
  /** Clock and randomness of the NTLM challenge, for deterministic handshakes. */
  now?: () => Date;
  randomBytes?: (n: number) => Buffer;
  /** CredSSP acceptor behaviour: an old host (`maxVersion: 4`), a host binding another public key (`bindOtherKey`). */
  credssp?: CredSSPScenario;
  /** Flip the first byte of every piece a program appends to a file (host/fileSystem.ts): a copy whose hash cannot match. */
  corruptFileWrites?: boolean;
}

export interface StartEmulatedHostOptions {
  /** Windows version to emulate; default "win2019". */
  profile?: ProfileName;
  /** Display language of the host's messages; default "en-US". */
  locale?: Locale;
  /** NetBIOS computer name (default from the profile, e.g. "WIN2019"). */
  computerName?: string;
  /** NetBIOS domain of the accounts (default: the computer name, a workgroup host). */
  domain?: string;
  /** Accounts that may log on: "DOMAIN\\name" or a bare local name, with the password. */
  users: { username: string; password: string }[];
  /** Serve HTTPS with a CA and server certificate made at start (`ca` of the result is the CA to trust). */
  tls?: boolean | EmulatedHostTls;
  auth?: EmulatedHostAuth;
  /** WinRM config changes applied before the listener opens, e.g. `{ "winrm/config/service/auth": { Basic: "true" } }`. */
  config?: Record<string, Record<string, string>>;
  /** Other host state (initial WinHTTP/IE proxy settings). */
  hostState?: Pick<EmulatedHostOptions, "winHttp" | "ieProxy" | "userName">;
  /**
   * Write p:ActivityId in every response header (after a:MessageID), as some real hosts do (recorded from Server
   * 2012 R2 and 2016 hosts; other 2008 R2, 2016 and 2019 hosts never send it). Default false.
   */
  activityIds?: boolean;
  /** Listen address; default 127.0.0.1 on a port the system picks. */
  listen?: { host?: string; port?: number };
  scenario?: EmulatedHostScenario;
  /** Called for every request as it is logged. */
  onRequest?: (entry: RequestLogEntry) => void;
}

export interface RunningEmulatedHost {
  /** `http(s)://127.0.0.1:PORT/wsman`. */
  readonly url: string;
  /** PEM of the CA that signed the server certificate (tls only). */
  readonly ca: string | undefined;
  /** Every request so far, in order (never a token or password). */
  readonly requests: readonly RequestLogEntry[];
  /** The emulated machine: its registry, WinRM config, processes. */
  readonly host: EmulatedHost;
  /** The listener itself, for what the small API does not cover (dropConnections, setUserPassword, connections). */
  readonly server: WinRMEmulator;
  close(): Promise<void>;
}

/** Start an emulated Windows host; resolves once it listens. */
export async function startEmulatedHost(opts: StartEmulatedHostOptions): Promise<RunningEmulatedHost> {
  const host = new EmulatedHost({
    profile: opts.profile ?? "win2019",
    locale: opts.locale ?? "en-US",
    ...(opts.computerName !== undefined ? { computerName: opts.computerName } : {}),
    ...(opts.domain !== undefined ? { domain: opts.domain } : {}),
    ...opts.hostState,
  });
  for (const [path, values] of Object.entries(opts.config ?? {})) host.config.set(path, values);
  const tls = opts.tls === true ? {} : opts.tls === false ? undefined : opts.tls;
  const s = opts.scenario ?? {};
  if (s.corruptFileWrites === true) host.fs.corruptWrites = true;
  const server = await WinRMEmulator.start({
    host,
    users: opts.users,
    listenHost: opts.listen?.host,
    port: opts.listen?.port,
    tls: tls !== undefined,
    tlsHash: tls?.hash,
    cbtHardening: opts.auth?.cbtHardening,
    ...(opts.auth?.keytab !== undefined ? { keytab: opts.auth.keytab } : {}),
    offerKerberosScheme: opts.auth?.offerKerberosScheme,
    maxOperationTimeoutMs: s.maxOperationTimeoutMs,
    receiveChunkBytes: s.receiveChunkBytes,
    ...(opts.activityIds === true ? { activityIds: true } : {}),
    closeAfterAnonymous401: s.closeAfterAnonymous401,
    now: s.now,
    randomBytes: s.randomBytes,
    ...(s.credssp !== undefined ? { credssp: s.credssp } : {}),
    ...(opts.auth?.certificate !== undefined ? { certificateAuth: opts.auth.certificate } : {}),
    onRequest: opts.onRequest,
  });
  return {
    url: server.url,
    ca: server.caPem,
    requests: server.requests,
    host,
    server,
    close: () => server.close(),
  };
}

// The building blocks, for tests that assemble a host by hand (the project's own tests do).
export { EmulatedHost, type EmulatedHostOptions, type HostActivity, type RunningCommand } from "./host/host.js";
export { WinRMEmulator, type WinRMEmulatorOptions, type EmulatorHost, type CbtHardeningLevel } from "./server.js";
export { getProfile, PROFILE_NAMES, isProfileName, type ProfileName, type HostProfile } from "./host/profiles.js";
export { LOCALES, type Locale } from "./host/locales.js";
export { WinRMConfigStore, WinRMConfigError, WSMAN_RESOURCE_NOT_FOUND, WSMAN_SCHEMA_VALIDATION } from "./host/configStore.js";
export { CONNECTIONS_KEY } from "./host/registry.js";
export { formatEntry, shortAction, type RequestLogEntry, type AuthState } from "./requestLog.js";
export { generateTlsMaterial, type TlsMaterial, type TlsMaterialOptions, type SignatureHash } from "./tls.js";
export { NtlmAcceptor, type NtlmAcceptorUser, type NtlmAcceptorOptions } from "../auth/ntlmAcceptor.js";
export { MUTUAL_PROFILE_URI, type CertificateAuthOptions, type CertMappingEntry } from "./certMapping.js";
export { generateClientCa, certificateUpns, type ClientCa, type ClientCertificate } from "./clientCertificates.js";
export { CredSSPAcceptor, type CredSSPAcceptorOptions, type CredSSPScenario } from "../auth/credsspAcceptor.js";
export { allowedEnvelopeSize, receivePayloadBudget } from "./envelopeLimit.js";
