/**
 * The one description of "how to reach a Windows host over WinRM", shared by the CLI and the Pulumi resources.
 * A plain JSON object (Pulumi serialises it into state), validated by one zod schema; validation errors are
 * ConfigurationError naming the field and the fix, never echoing a value (the password lives in here).
 */
import { createPrivateKey } from "node:crypto";
import { z } from "zod";
import { ConfigurationError } from "./errors.js";
import { splitBypassList } from "./transport/bypassList.js";
import { THUMBPRINT_FIX, parseThumbprint } from "./transport/tls.js";

/** WinRM's URLPrefix default (MS-WSMV 2.2.4.4 winrm/config URLPrefix = "wsman"). */
export const DEFAULT_WSMAN_PATH = "/wsman";

export const MECHANISMS = ["negotiate", "ntlm", "basic", "kerberos", "credssp", "certificate"] as const;

const authSchema = z
  .object({
    mechanism: z.enum(MECHANISMS).default("negotiate").describe(
      "How to authenticate to the WinRM service. negotiate: Kerberos (SPNEGO) when a ticket can be had, else NTLM " +
        "(raw NTLMSSP under the Negotiate scheme, as pywinrm and the Windows client send it); ntlm or kerberos force " +
        "one; basic only over https://.",
    ),
    username: z
      .string()
      .min(1)
      .optional()
      .describe(
        '"DOMAIN\\\\user", "user@domain" or a local "user". May be omitted only with kerberos or negotiate and no ' +
          "password: the principal then comes from the Kerberos ticket cache (GSS default credentials).",
      ),
    password: z
      .string()
      .optional()
      .describe(
        "The account's password. Secret: never logged, never in an error. May be omitted with kerberos and " +
          "negotiate: the Kerberos ticket cache (KRB5CCNAME, e.g. after kinit) is used then.",
      ),
    domain: z.string().optional().describe("Overrides the domain parsed from username."),
    spn: z
      .string()
      .optional()
      .describe('Target service principal name (Kerberos; NTLM MsvAvTargetName); default "HTTP/<endpoint host>".'),
    delegate: z
      .boolean()
      .optional()
      .describe(
        "Kerberos: forward the TGT to the host (GSS_C_DELEG_FLAG), for a second hop. CredSSP: required true (the password is delegated to the host). Default false.",
      ),
    credsspAllowUnpatchedHosts: z
      .boolean()
      .optional()
      .describe(
        'CredSSP only: accept a host that speaks CredSSP version 2-4, which lacks the CVE-2018-0886 fix, and use the ' +
          'public-key binding that CVE exploited (Windows\' "Encryption Oracle Remediation" policy at "Vulnerable"). ' +
          "Default false: such a host is refused before anything is sent (the policy's default, \"Mitigated\").",
      ),
  })
  .strict();

const tlsSchema = z
  .object({
    ca: z.string().optional().describe("PEM bundle of the CA(s) that issued the WinRM listener certificate."),
    serverName: z
      .string()
      .optional()
      .describe("Name to verify the certificate against (and send as SNI) when it differs from the endpoint host."),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe(
        "Verify the server certificate against tls.ca or the system CAs. false is accepted only with tls.thumbprint " +
          "(the pin then verifies the host); without one it is refused.",
      ),
    thumbprint: z
      .string()
      .optional()
      .describe(
        "Pin of the host's certificate: its SHA-256 (64 hex digits) or SHA-1 (40, as Windows prints it) fingerprint; " +
          "colons, spaces and case ignored. Checked on every TLS connection to the host, directly or through any proxy. " +
          "Alone it replaces CA validation (self-signed listeners); with ca, both must hold.",
      ),
    clientCertificate: z
      .string()
      .optional()
      .describe(
        'PEM client certificate for auth.mechanism "certificate" (WS-Man https/mutual: TLS client authentication, ' +
          "mapped to a local account by the host's winrm/config/service/certmapping). With clientKey.",
      ),
    clientKey: z
      .string()
      .optional()
      .describe("PEM private key of clientCertificate (PKCS#8, PKCS#1 or SEC1; may be encrypted). Secret: never logged, never in an error."),
    clientKeyPassphrase: z
      .string()
      .optional()
      .describe("Passphrase of an encrypted clientKey. Secret: never logged, never in an error."),
  })
  .strict();

export const PROXY_AUTH = ["none", "basic", "negotiate", "ntlm", "kerberos"] as const;
export const PROXY_MODES = ["auto", "tunnel", "forward"] as const;

const proxyObjectSchema = z
  .object({
    url: z
      .string()
      .describe(
        "The proxy, http://host:port (plain TCP to the proxy), https://host:port (TLS to the proxy, default port 443: " +
          "proxy credentials and CONNECT heads never cross the network in clear), or socks5://host:port / " +
          "socks5h://host:port (SOCKS5, RFC 1928: the host name resolved here / by the proxy; proxy.username and " +
          "proxy.password as RFC 1929 username/password).",
      ),
    auth: z
      .enum(PROXY_AUTH)
      .default("none")
      .describe(
        "How to answer the proxy's 407: none, basic (RFC 7617), ntlm (3 CONNECT legs, MS-NTHT 4.2), kerberos " +
          "(SPNEGO, one leg; ticket cache when no password), negotiate (Kerberos when a ticket can be had, else NTLM). " +
          "Any of them requires an https:// endpoint (Microsoft: if the proxy requires authentication, use HTTPS).",
      ),
    username: z.string().min(1).optional().describe("Proxy account, independent of auth.username."),
    password: z.string().optional().describe("Proxy password. Secret: never logged, never in an error."),
    domain: z.string().optional().describe("Overrides the domain parsed from the proxy username."),
    spn: z.string().optional().describe('Proxy service principal name; default "HTTP/<proxy host>".'),
    mode: z
      .enum(PROXY_MODES)
      .default("auto")
      .describe(
        "tunnel: CONNECT (one end-to-end connection); forward: absolute-form requests, http:// endpoints only; " +
          "auto: tunnel, and for http:// endpoints fall back to forward when the proxy refuses CONNECT.",
      ),
    bypass: z
      .string()
      .optional()
      .describe('WinHTTP-style bypass list: "<local>;*.corp.example;host:port" (these go direct).'),
    tls: z
      .object({
        ca: z.string().optional().describe("PEM CA certificate(s) that sign the proxy's certificate (default: system CAs)."),
        serverName: z.string().min(1).optional().describe("SNI and the name checked in the proxy's certificate."),
        rejectUnauthorized: z.boolean().default(true).describe("Verify the proxy's certificate."),
      })
      .strict()
      .optional()
      .describe("TLS to an https:// proxy (not to the WinRM host: that is the top-level tls)."),
  })
  .strict();

const timeoutsSchema = z
  .object({
    connectMs: z
      .number()
      .int()
      .positive()
      .default(15_000)
      .describe(
        "Timeout of one connection attempt in milliseconds: TCP connect, TLS handshake and, through a proxy, the " +
          "CONNECT exchange. Default 15000 (15 s, as @pulumi/command's per-dial timeout).",
      ),
    connectAttempts: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe(
        "How many times to try to open a connection (1 = no retry) for a host that is still starting. Retried only " +
          "when the connection is refused, reset or times out before any WinRM message was sent on it (TCP connect, " +
          "TLS handshake, or a proxy answering CONNECT with 502/503/504), with exponential backoff from 0.5 s to 5 s " +
          "between attempts; a request that may have reached the host is never sent again. Default 10 (as " +
          "@pulumi/command's dial error limit); the worst case is about connectAttempts * connectMs plus 33 s of backoff.",
      ),
    operationTimeoutSec: z
      .number()
      .int()
      .positive()
      .default(20)
      .describe("WS-Management OperationTimeout (MS-WSMV 2.2.4.16): how long the host holds a Receive open."),
    readMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "Deadline for one whole HTTP response (status, headers and body) in milliseconds, counted from the moment " +
          "the request is on the connection; it fires even while bytes keep trickling in. Must exceed " +
          "operationTimeoutSec (default operationTimeoutSec + 10 s).",
      ),
  })
  .strict();

export const connectionSchema = z
  .object({
    endpoint: z.string().describe("http(s)://host:port/wsman. Path defaults to /wsman."),
    auth: authSchema.describe("The account on the host and how it authenticates (mechanism, username, password)."),
    tls: tlsSchema
      .default({ rejectUnauthorized: true })
      .describe("Certificate checks of an https:// endpoint: the CA bundle, the name to verify, whether to verify."),
    messageEncryption: z
      .enum(["auto", "always", "never"])
      .default("auto")
      .describe("auto: seal every message on http://, rely on TLS on https://. never is refused on http://."),
    timeouts: timeoutsSchema
      .default({ connectMs: 15_000, connectAttempts: 10, operationTimeoutSec: 20 })
      .describe("Connect (with retries), WS-Management operation and HTTP read timeouts."),
    codePage: z
      .union([z.number().int().positive(), z.literal("auto")])
      .default("auto")
      .describe("Console code page of the remote shell: auto = UTF-8 (65001), or the OEM page on hosts that ignore it."),
    proxy: z
      .union([z.enum(["none", "env"]), proxyObjectSchema])
      .default("none")
      .describe(
        'Proxy path: "none" (direct), "env" (HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY as curl reads them), ' +
          "or a proxy object.",
      ),
  })
  .strict();

/** What a caller writes (defaults optional). */
export type ConnectionInput = z.input<typeof connectionSchema>;

/** A validated connection: defaults filled, endpoint normalised, readMs resolved. */
export interface Connection {
  readonly endpoint: string;
  readonly auth: {
    readonly mechanism: (typeof MECHANISMS)[number];
    /** "" = none given: the Kerberos ticket cache's principal (kerberos / negotiate without a password). */
    readonly username: string;
    readonly password: string;
    readonly domain?: string;
    readonly spn?: string;
    readonly delegate?: boolean;
    /** CredSSP: accept hosts below version 5 (CVE-2018-0886 unpatched). */
    readonly credsspAllowUnpatchedHosts?: boolean;
  };
  readonly tls: {
    readonly ca?: string;
    readonly serverName?: string;
    readonly rejectUnauthorized: boolean;
    /** Normalised: lower-case hex, no separators (transport/tls.ts parseThumbprint). */
    readonly thumbprint?: string;
    /** PEM; set together with clientKey (auth.mechanism "certificate"). */
    readonly clientCertificate?: string;
    readonly clientKey?: string;
    readonly clientKeyPassphrase?: string;
  };
  readonly messageEncryption: "auto" | "always" | "never";
  readonly timeouts: {
    readonly connectMs: number;
    /** Connection attempts (1..100) for refused / reset / timed-out dials; see the schema's description. */
    readonly connectAttempts: number;
    readonly operationTimeoutSec: number;
    readonly readMs: number;
  };
  readonly codePage: number | "auto";
  readonly proxy: "none" | "env" | ProxyConfig;
}

/** An explicit proxy, validated: defaults filled, url normalised to scheme://host:port/. */
export interface ProxyConfig {
  readonly url: string;
  readonly auth: (typeof PROXY_AUTH)[number];
  readonly username?: string;
  readonly password?: string;
  readonly domain?: string;
  readonly spn?: string;
  readonly mode: (typeof PROXY_MODES)[number];
  readonly bypass?: string;
  /** TLS to the proxy itself; only with an https:// url. */
  readonly tls?: ProxyTlsConfig;
}

export interface ProxyTlsConfig {
  readonly ca?: string;
  readonly serverName?: string;
  readonly rejectUnauthorized: boolean;
}

/** How to fix each field, appended to the validation message. */
const FIXES: Record<string, string> = {
  endpoint: 'give a URL such as "https://host.example.com:5986/wsman" or "http://10.0.0.5:5985/wsman"',
  "auth.mechanism": `use one of ${MECHANISMS.join(", ")}`,
  "auth.username": 'give the account as "DOMAIN\\\\user", "user@domain" or "user"',
  "auth.password": "give the password as a string",
  "tls.ca": "give the CA certificate(s) as one PEM string",
  "tls.rejectUnauthorized": "use true (default) or false",
  "tls.thumbprint": THUMBPRINT_FIX,
  "tls.clientCertificate": "give the client certificate as one PEM string (-----BEGIN CERTIFICATE-----)",
  "tls.clientKey": "give the client certificate's private key as one PEM string (-----BEGIN ... PRIVATE KEY-----)",
  "tls.clientKeyPassphrase": "give the passphrase of the encrypted tls.clientKey as a string",
  messageEncryption: 'use "auto", "always" or "never"',
  "timeouts.connectMs": "give a positive whole number of milliseconds",
  "timeouts.connectAttempts": "give a whole number from 1 (no retry) to 100",
  "timeouts.operationTimeoutSec": "give a positive whole number of seconds",
  "timeouts.readMs": "give a positive whole number of milliseconds, larger than operationTimeoutSec * 1000",
  codePage: 'give "auto" or a Windows code page number such as 65001, 437 or 850',
  proxy: 'use "none", "env", or { url: "http://proxy:3128", auth, username, password, mode, bypass, tls }',
  "proxy.url": 'give the proxy as "http://proxy.example.com:3128" or "https://proxy.example.com:443" (no credentials, no path)',
  "proxy.tls": "remove proxy.tls, or give the proxy as an https:// URL",
  "proxy.tls.ca": "give the CA certificate(s) of the proxy as one PEM string",
  "proxy.tls.serverName": "give the DNS name in the proxy's certificate",
  "proxy.tls.rejectUnauthorized": "use true (default) or false",
  "proxy.auth": `use one of ${PROXY_AUTH.join(", ")}`,
  "proxy.username": 'give the proxy account as "DOMAIN\\\\user", "user@domain" or "user"',
  "proxy.password": "give the proxy password as a string",
  "proxy.mode": `use one of ${PROXY_MODES.join(", ")}`,
  "proxy.bypass": 'give a WinHTTP-style list such as "<local>;*.corp.example;10.0.0.5:5985"',
};

function fixFor(field: string): string {
  return FIXES[field] ?? "see the Connection documentation";
}

/** Validate and normalise. Throws ConfigurationError (field + fix); never includes an input value in the message. */
export function parseConnection(input: unknown): Connection {
  const parsed = connectionSchema.safeParse(input);
  if (!parsed.success) {
    const issue = innermostIssue(parsed.error.issues[0], input);
    const field = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : "connection";
    // zod's own message is value-free for the issue kinds we can hit (type, enum, min, unrecognized keys).
    const what = issue ? describeIssue(issue) : "invalid";
    throw new ConfigurationError(field, `${what}; ${fixFor(field)}`);
  }
  const c = parsed.data;
  const endpoint = normaliseEndpoint(c.endpoint);
  const opMs = c.timeouts.operationTimeoutSec * 1000;
  const readMs = c.timeouts.readMs ?? opMs + 10_000;
  if (readMs <= opMs) {
    // The host holds a Receive for up to OperationTimeout before answering with w:TimedOut (MS-WSMV 3.1.4.14);
    // a shorter HTTP read timeout would cut every idle Receive (pywinrm: read 30 s vs operation 20 s).
    throw new ConfigurationError(
      "timeouts.readMs",
      `must exceed operationTimeoutSec (${c.timeouts.operationTimeoutSec} s = ${opMs} ms), got ${readMs} ms; ` +
        `raise readMs or lower operationTimeoutSec`,
    );
  }
  if (c.tls.ca !== undefined && !c.tls.ca.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ConfigurationError("tls.ca", `is not a PEM certificate; ${fixFor("tls.ca")}`);
  }
  const pin = c.tls.thumbprint !== undefined ? parseThumbprint(c.tls.thumbprint) : undefined;
  if (pin !== undefined && !endpoint.startsWith("https:")) {
    // Over http:// there is no certificate to check: a pin there would protect nothing, silently.
    throw new ConfigurationError("tls.thumbprint", "applies only to an https:// endpoint; use https:// or remove tls.thumbprint");
  }
  if (!c.tls.rejectUnauthorized && pin === undefined && endpoint.startsWith("https:")) {
    // Neither CA validation nor a pin: anyone on the path could present a certificate and read the credentials.
    throw new ConfigurationError("tls.rejectUnauthorized", `is false without tls.thumbprint, so nothing would verify the host; ` +
        "pin its certificate with tls.thumbprint (SHA-256 or SHA-1 fingerprint, docs/tls.md), or give its issuing CA as tls.ca and leave rejectUnauthorized true");
  }
  if (typeof c.codePage === "number" && c.codePage > 65535) {
    throw new ConfigurationError("codePage", `is not a Windows code page; ${fixFor("codePage")}`);
  }
  checkClientCertificate(c.tls, c.auth.mechanism);
  if (c.auth.mechanism === "credssp" && c.auth.delegate !== true) {
    // CredSSP hands the password itself to the host (MS-CSSP 3.1.5 TSCredentials): never without the user saying so.
    throw new ConfigurationError(
      "auth.delegate",
      'must be true with auth.mechanism "credssp": CredSSP delegates your password to the host, which can then act as you ' +
        'on any other machine; set it to accept that (docs/credssp.md), or use "negotiate"',
    );
  }
  if (c.auth.credsspAllowUnpatchedHosts === true && c.auth.mechanism !== "credssp") {
    // Only CredSSP has a binding to weaken; accepted elsewhere it would look like it did something.
    throw new ConfigurationError(
      "auth.credsspAllowUnpatchedHosts",
      `applies only to auth.mechanism "credssp" (here "${c.auth.mechanism}"); remove it or use auth.mechanism "credssp"`,
    );
  }
  if (c.auth.password === undefined && c.auth.mechanism !== "kerberos" && c.auth.mechanism !== "negotiate" && c.auth.mechanism !== "certificate") {
    throw new ConfigurationError(
      "auth.password",
      `is required with auth.mechanism "${c.auth.mechanism}" (only kerberos and negotiate can use a Kerberos ticket cache); ` +
        fixFor("auth.password"),
    );
  }
  if (c.auth.username === undefined && c.auth.password !== undefined) {
    // Only the ticket cache knows a principal by itself; a password belongs to a named account.
    throw new ConfigurationError(
      "auth.username",
      'is required; give "DOMAIN\\\\user", "user@domain" or "user" with a password (only kerberos or negotiate without a ' +
        "password take the principal from the Kerberos ticket cache)",
    );
  }
  return {
    endpoint,
    auth: {
      mechanism: c.auth.mechanism,
      username: c.auth.username ?? "",
      // "" = no password: the Kerberos ticket cache (kerberos, negotiate).
      password: c.auth.password ?? "",
      ...(c.auth.domain !== undefined ? { domain: c.auth.domain } : {}),
      ...(c.auth.spn !== undefined ? { spn: c.auth.spn } : {}),
      ...(c.auth.delegate !== undefined ? { delegate: c.auth.delegate } : {}),
      ...(c.auth.credsspAllowUnpatchedHosts === true ? { credsspAllowUnpatchedHosts: true } : {}),
    },
    tls: {
      ...(c.tls.ca !== undefined ? { ca: c.tls.ca } : {}),
      ...(c.tls.serverName !== undefined ? { serverName: c.tls.serverName } : {}),
      rejectUnauthorized: c.tls.rejectUnauthorized,
      ...(pin !== undefined ? { thumbprint: pin.hex } : {}),
      ...(c.tls.clientCertificate !== undefined ? { clientCertificate: c.tls.clientCertificate } : {}),
      ...(c.tls.clientKey !== undefined ? { clientKey: c.tls.clientKey } : {}),
      ...(c.tls.clientKeyPassphrase !== undefined ? { clientKeyPassphrase: c.tls.clientKeyPassphrase } : {}),
    },
    messageEncryption: c.messageEncryption,
    timeouts: {
      connectMs: c.timeouts.connectMs,
      connectAttempts: c.timeouts.connectAttempts,
      operationTimeoutSec: c.timeouts.operationTimeoutSec,
      readMs,
    },
    codePage: c.codePage,
    proxy: typeof c.proxy === "string" ? c.proxy : parseProxy(c.proxy),
  };
}

/** The proxy object after the schema: URL shape, credentials present exactly when auth needs them. */
function parseProxy(p: z.infer<typeof proxyObjectSchema>): ProxyConfig {
  const url = normaliseProxyUrl(p.url, "proxy.url");
  if (url.username !== "" || url.password !== "") {
    // Never echo the URL: the userinfo may hold a password.
    throw new ConfigurationError("proxy.url", "must not contain credentials; put them in proxy.username / proxy.password");
  }
  if (p.auth === "none") {
    if (p.username !== undefined || p.password !== undefined) {
      throw new ConfigurationError(
        "proxy.auth",
        'is "none" but proxy credentials are given; set proxy.auth to "basic", "negotiate" or "ntlm", or remove them',
      );
    }
  } else if ((p.auth === "kerberos" || p.auth === "negotiate") && p.password === undefined) {
    // No password: the Kerberos ticket cache (KRB5CCNAME) authenticates to the proxy; Negotiate then has no NTLM.
  } else {
    if (p.username === undefined) {
      throw new ConfigurationError("proxy.username", `is required with proxy.auth "${p.auth}"; ${fixFor("proxy.username")}`);
    }
    if (p.password === undefined) {
      throw new ConfigurationError("proxy.password", `is required with proxy.auth "${p.auth}"; ${fixFor("proxy.password")}`);
    }
  }
  // Bounded before any use (entry length and count; transport/bypassList.ts), so preview refuses what up would.
  if (p.bypass !== undefined) splitBypassList(p.bypass, "proxy.bypass");
  return {
    url: url.toString(),
    auth: p.auth,
    ...(p.username !== undefined ? { username: p.username } : {}),
    ...(p.password !== undefined ? { password: p.password } : {}),
    ...(p.domain !== undefined ? { domain: p.domain } : {}),
    ...(p.spn !== undefined ? { spn: p.spn } : {}),
    mode: p.mode,
    ...(p.bypass !== undefined && p.bypass.trim() !== "" ? { bypass: p.bypass } : {}),
    ...(p.tls !== undefined ? { tls: parseProxyTls(p.tls, url) } : {}),
  };
}

function parseProxyTls(t: { ca?: string | undefined; serverName?: string | undefined; rejectUnauthorized: boolean }, url: URL): ProxyTlsConfig {
  if (url.protocol !== "https:") {
    throw new ConfigurationError("proxy.tls", `applies only to an https:// proxy; ${fixFor("proxy.tls")}`);
  }
  if (t.ca !== undefined && !t.ca.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ConfigurationError("proxy.tls.ca", `is not a PEM certificate; ${fixFor("proxy.tls.ca")}`);
  }
  return {
    ...(t.ca !== undefined ? { ca: t.ca } : {}),
    ...(t.serverName !== undefined ? { serverName: t.serverName } : {}),
    rejectUnauthorized: t.rejectUnauthorized,
  };
}

/**
 * An HTTP proxy URL: http:// (plain HTTP/1.1 to the proxy) or https:// (HTTP/1.1 inside TLS to the proxy, as curl's
 * HTTPS-proxy support and RFC 9110 11.7 have it), no path, query or fragment; the port defaults to 80 / 443 as in
 * any http(s) URL. Userinfo is left for the caller to judge
 * (refused in the configuration, Basic credentials in HTTPS_PROXY as curl reads it). Never echoes the value.
 */
export function normaliseProxyUrl(raw: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigurationError(field, `is not a URL; ${fixFor("proxy.url")}`);
  }
  // socks5:// and socks5h:// (RFC 1928): transport/socks5.ts; the name is resolved here or by the proxy.
  if (url.protocol !== "http:" && url.protocol !== "https:" && url.protocol !== "socks5:" && url.protocol !== "socks5h:") {
    throw new ConfigurationError(
      field,
      `must be an http://, https://, socks5:// or socks5h:// proxy, not ${url.protocol}//; ${fixFor("proxy.url")}`,
    );
  }
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
    throw new ConfigurationError(field, `must not have a path, query or fragment; ${fixFor("proxy.url")}`);
  }
  return url;
}

/**
 * zod reports a failed union (proxy: "none" | "env" | {...}) as one invalid_union issue; when the input took the
 * object branch, the useful issue (e.g. proxy.auth) is inside it. Return that one, with its full path.
 */
function innermostIssue(issue: z.core.$ZodIssue | undefined, input: unknown): z.core.$ZodIssue | undefined {
  if (issue?.code !== "invalid_union") return issue;
  let value: unknown = input;
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  if (typeof value !== "object" || value === null) return issue;
  const branch = issue.errors.find((errs) => errs.some((e) => e.path.length > 0 || e.code === "unrecognized_keys"));
  const inner = branch?.[0];
  if (inner === undefined) return issue;
  return innermostIssue({ ...inner, path: [...issue.path, ...inner.path] }, input);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.message.endsWith("received undefined") ? "is required" : `must be ${issue.expected}`;
    case "invalid_value":
      return "has a value that is not allowed";
    case "too_small":
      return issue.origin === "string" ? "must not be empty" : "must be positive";
    case "unrecognized_keys":
      return `has unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    case "invalid_union":
      return "has the wrong type";
    default:
      return "is invalid";
  }
}

/** http(s) only, no credentials in the URL, no query/fragment; empty path becomes /wsman. */
export function normaliseEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigurationError("endpoint", `is not a URL; ${fixFor("endpoint")}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigurationError("endpoint", `must use http:// or https://, not ${url.protocol}//; ${fixFor("endpoint")}`);
  }
  if (url.username !== "" || url.password !== "") {
    // Never echo the URL: the userinfo may hold a password.
    throw new ConfigurationError("endpoint", "must not contain credentials; put them in auth.username / auth.password");
  }
  if (url.search !== "" || url.hash !== "") {
    throw new ConfigurationError("endpoint", `must not have a query or fragment; ${fixFor("endpoint")}`);
  }
  if (url.pathname === "" || url.pathname === "/") url.pathname = DEFAULT_WSMAN_PATH;
  return url.toString();
}

/**
 * auth.mechanism "certificate" takes tls.clientCertificate + tls.clientKey (both, PEM); the pair is refused with any
 * other mechanism (it would be sent to the host without being what authenticates). Never echoes the key.
 */
function checkClientCertificate(
  t: { clientCertificate?: string | undefined; clientKey?: string | undefined; clientKeyPassphrase?: string | undefined },
  mechanism: (typeof MECHANISMS)[number],
): void {
  const cert = t.clientCertificate;
  const key = t.clientKey;
  if (mechanism === "certificate") {
    if (cert === undefined) throw new ConfigurationError("tls.clientCertificate", `is required with auth.mechanism "certificate"; ${fixFor("tls.clientCertificate")}`);
    if (key === undefined) throw new ConfigurationError("tls.clientKey", `is required with auth.mechanism "certificate"; ${fixFor("tls.clientKey")}`);
  } else if (cert !== undefined || key !== undefined) {
    throw new ConfigurationError(
      cert !== undefined ? "tls.clientCertificate" : "tls.clientKey",
      'is used only with auth.mechanism "certificate"; set auth.mechanism to "certificate" or remove the client certificate',
    );
  }
  if (cert !== undefined && !cert.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ConfigurationError("tls.clientCertificate", `is not a PEM certificate; ${fixFor("tls.clientCertificate")}`);
  }
  if (key !== undefined && !(key.includes("-----BEGIN ") && key.includes("PRIVATE KEY-----"))) {
    throw new ConfigurationError("tls.clientKey", `is not a PEM private key; ${fixFor("tls.clientKey")}`);
  }
  if (t.clientKeyPassphrase !== undefined && key === undefined) {
    throw new ConfigurationError("tls.clientKeyPassphrase", "applies only with tls.clientKey; remove it or give the key");
  }
  if (key !== undefined && key.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
    // Decrypt once here so a wrong or missing passphrase fails at check/preview time, not as a TLS dial error.
    // OpenSSL's message ("bad decrypt") holds no key material; it is not echoed anyway.
    try {
      createPrivateKey({ key, format: "pem", passphrase: t.clientKeyPassphrase ?? "" });
    } catch {
      throw new ConfigurationError(
        "tls.clientKeyPassphrase",
        t.clientKeyPassphrase === undefined
          ? "is required: tls.clientKey is encrypted; give its passphrase"
          : "does not decrypt tls.clientKey; give the passphrase the key was encrypted with",
      );
    }
  }
}
