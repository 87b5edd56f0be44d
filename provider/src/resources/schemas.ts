/**
 * Inputs of the resources (zod), and what every resource shares: check failures with property paths, Pulumi's
 * unknown-value sentinel, state versioning, plain-JSON outputs.
 *
 * Pulumi hands a dynamic provider plain JSON (secrets unwrapped: the dynamic provider does not accept secrets) plus
 * the serialized provider under `__provider`. During a preview, values that depend on resources not created yet are
 * the unknown sentinel string; check must let them through, not fail on them.
 */
import { z } from "zod";
import { connectionSchema, normaliseEndpoint, parseConnection, type Connection } from "../connection.js";
import { ConfigurationError, InsecureProxyPathError } from "../errors.js";
import { MAX_REMOTE_PATH, PARTIAL_SUFFIX, remotePathProblem as copyPathProblem } from "../copy/remotePaths.js";
import { splitList } from "../hosts/winhttpSettings.js";
import { checkPolicy } from "../transport/policy.js";

/**
 * Version of the state layout each resource writes; read() / delete() migrate older layouts. Layout 1 gained an
 * optional `declared` field (the inputs as the program wrote them, see declaredOf); state without it still reads.
 */
export const SCHEMA_VERSION = 1;

/** @pulumi/pulumi runtime/rpc.ts unknownValue: a value not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The key under which @pulumi/pulumi's dynamic.Resource stores the serialized provider. */
export const PROVIDER_KEY = "__provider";

export interface CheckFailure {
  property: string;
  reason: string;
}

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/** Whether any value inside `v` is unknown (preview). */
export function containsUnknown(v: unknown): boolean {
  if (isUnknown(v)) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (typeof v === "object" && v !== null) return Object.values(v).some(containsUnknown);
  return false;
}

/**
 * The inputs as the program declared them, for the state's `declared` field: everything but `connection` (kept once,
 * at the top of the state, as a secret) and `__provider`, as plain JSON. read() returns these verbatim (plus the
 * connection and the properties that really drifted), so that a refresh with no real change shows no change: the engine
 * compares refreshed inputs with the program's, and a normalised spelling (a `;`-string for an array, an added default)
 * would show as a diff.
 */
export function declaredOf(news: unknown): Record<string, unknown> {
  const { connection: _c, ...rest } = withoutProvider(news);
  return plain(rest);
}

/** The `declared` field of a stored state; undefined for state written before it existed (fall back to the live form). */
export function storedDeclared(state: Record<string, unknown>): Record<string, unknown> | undefined {
  const d = state.declared;
  return typeof d === "object" && d !== null && !Array.isArray(d) ? (plain(d) as Record<string, unknown>) : undefined;
}

/** A copy without `__provider` (and without keys whose value is undefined). */
export function withoutProvider(props: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof props !== "object" || props === null) return out;
  for (const [k, v] of Object.entries(props)) if (k !== PROVIDER_KEY && v !== undefined) out[k] = v;
  return out;
}

/** Deep copy as plain JSON: `undefined` dropped (google-protobuf's Struct.fromJavaScript throws on it). */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

// ---------------------------------------------------------------------------------------------------------------
// Field validators shared by the schemas

/** One WinHTTP proxy entry: `[scheme=][http://]host[:port]` (WinHTTP proxy syntax, `netsh winhttp set proxy /?`). */
const PROXY_ENTRY = /^(?:(?:http|https|ftp|socks)=)?(?:http:\/\/)?[A-Za-z0-9._\-[\]:]+$/i;
const BYPASS_ENTRY = /^[\x21-\x7e]+$/;

const proxyServerField = z
  .string()
  .describe('One proxy for all schemes, "proxy.corp.example:8080", or per scheme "http=a:80;https=b:443".')
  .superRefine((s, ctx) => {
    const entries = splitList(s);
    if (entries.length === 0) {
      ctx.addIssue({ code: "custom", message: 'must not be empty; give "host:port" or "http=a:80;https=b:443"' });
      return;
    }
    for (const e of entries) {
      const port = /:(\d+)$/.exec(e)?.[1];
      if (!PROXY_ENTRY.test(e) || /["%]/.test(e) || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
        ctx.addIssue({
          code: "custom",
          message:
            'has an entry that is not "[scheme=]host[:port]" (ASCII host name or address, port 1-65535, scheme http, ' +
            'https, ftp or socks); e.g. "proxy.corp.example:8080" or "http=a:80;https=b:443"',
        });
        return;
      }
    }
  });

const bypassField = z
  .union([z.array(z.string()), z.string()])
  .describe('Hosts that go direct: ["<local>", "*.corp.example"] or "<local>;*.corp.example".')
  .superRefine((v, ctx) => {
    const entries = Array.isArray(v) ? v.flatMap(splitList) : splitList(v);
    if (entries.some((e) => !BYPASS_ENTRY.test(e) || /["%]/.test(e))) {
      ctx.addIssue({
        code: "custom",
        message: 'has an entry with a quote, %, or a non-ASCII character; use names like "<local>" or "*.corp.example"',
      });
    }
  });

export type BypassInput = z.infer<typeof bypassField>;

/** The bypass list as one `;`-separated string, as netsh writes it. */
export function bypassString(v: BypassInput | undefined): string {
  if (v === undefined) return "";
  return (Array.isArray(v) ? v.flatMap(splitList) : splitList(v)).join(";");
}

/**
 * `adopt`: the id of a setting the host already has (`winhttp:<endpoint>`, `winrm-config:<endpoint>`), taken under
 * management by create without changing the host. It stands in for Pulumi's `import` resource option, which cannot
 * work for a dynamic resource: the engine's import step calls Read with no properties (pkg/resource/deploy/step.go
 * ImportStep.Apply), so the dynamic-provider process has no serialized provider to run and fails before any provider
 * code (pulumi/pulumi#3550, #16175). The SDK classes turn `{ import: id }` into this input.
 */
function adoptField(prefix: string) {
  return z
    .string()
    .describe(`Adopt the host's existing setting: "${prefix}<endpoint>". Create then changes nothing on the host and fails, naming the property, if the declared value differs.`)
    .refine((s) => s.startsWith(prefix) && s.length > prefix.length, {
      message: `must be this resource's id, "${prefix}<endpoint>" (e.g. "${prefix}https://web-01.corp.example:5986/wsman")`,
    });
}

/** An `adopt` id with its endpoint normalised, so any spelling of the same URL matches; as given when it is no URL. */
export function normalisedAdoptId(id: string, prefix: string): string {
  try {
    return `${prefix}${normaliseEndpoint(id.slice(prefix.length))}`;
  } catch {
    return id;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// WinHttpProxySetting

export const ON_DELETE_WINHTTP = ["restore", "reset", "retain"] as const;

export const winHttpProxySettingInputs = z
  .object({
    connection: connectionSchema.describe(
      "How to reach the host (secret: holds the password). A different endpoint (compared normalised) replaces the " +
        "resource (no other input does); any other change (a rotated password, timeouts, TLS, proxy) only updates " +
        "the stored state: no netsh / proxycfg runs.",
    ),
    proxyServer: proxyServerField.optional(),
    bypassList: bypassField.optional(),
    directAccess: z.boolean().optional().describe("true: no proxy (netsh winhttp reset proxy / proxycfg -d)."),
    importFromIe: z
      .boolean()
      .optional()
      .describe("true: copy the WinRM user's manual Internet Explorer proxy (netsh ... import proxy source=ie / proxycfg -u)."),
    onDelete: z
      .enum(ON_DELETE_WINHTTP)
      .default("restore")
      .describe("On destroy: restore the setting found at create (default), reset to direct access, or retain."),
    adopt: adoptField("winhttp:").optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.adopt !== undefined && v.importFromIe === true) {
      ctx.addIssue({
        code: "custom",
        path: ["adopt"],
        message: "conflicts with importFromIe (an IE import always writes the setting); declare the host's proxyServer / directAccess to adopt it",
      });
    }
    const modes = [
      v.proxyServer !== undefined ? "proxyServer" : undefined,
      v.directAccess === true ? "directAccess" : undefined,
      v.importFromIe === true ? "importFromIe" : undefined,
    ].filter((m): m is string => m !== undefined);
    if (modes.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["proxyServer"],
        message: 'is required unless directAccess or importFromIe is true; give "host:port" or "http=a:80;https=b:443"',
      });
    } else if (modes.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: [modes[1] as string],
        message: `conflicts with ${modes[0] as string}; give exactly one of proxyServer, directAccess: true, importFromIe: true`,
      });
    }
    if (v.bypassList !== undefined && v.proxyServer === undefined && bypassString(v.bypassList) !== "") {
      ctx.addIssue({
        code: "custom",
        path: ["bypassList"],
        message: "applies only with proxyServer; remove it or set proxyServer",
      });
    }
  });

export type WinHttpProxySettingInputs = z.infer<typeof winHttpProxySettingInputs>;
/** What a program may declare (z.input: defaulted fields optional); the SDK's args are derived from it. */
export type WinHttpProxySettingDeclaredInputs = z.input<typeof winHttpProxySettingInputs>;

// ---------------------------------------------------------------------------------------------------------------
// WinRMProxyConfig

export const CBT_LEVELS = ["None", "Relaxed", "Strict"] as const;

export const serviceAuthSchema = z
  .object({
    basic: z.boolean().default(false).describe("Service/Auth/Basic. Off by default: Basic sends the password itself."),
    negotiate: z.boolean().default(true).describe("Service/Auth/Negotiate (NTLM or Kerberos under Negotiate)."),
    kerberos: z.boolean().default(true).describe("Service/Auth/Kerberos."),
    certificate: z.boolean().default(false).describe("Service/Auth/Certificate (HTTPS only)."),
    credSSP: z.boolean().default(false).describe("Service/Auth/CredSSP (WinRM 2.0+)."),
    cbtHardeningLevel: z
      .enum(CBT_LEVELS)
      .optional()
      .describe("Service/Auth/CbtHardeningLevel for HTTPS (WinRM 2.0+; winrm/config/service/auth, provider/src/testing/host/configStore.ts). Unset: leave as is."),
  })
  .strict();

export const ON_DELETE_WINRM = ["retain", "restore"] as const;

export const winRMProxyConfigInputs = z
  .object({
    connection: connectionSchema.describe(
      "The path to the host: endpoint, credentials, proxy (secret). A different endpoint (compared normalised) " +
        "replaces the resource (no other input does); any other change (a rotated password, timeouts, TLS, proxy) " +
        "puts nothing: the update only proves the new path (Identify) and records it in `path`.",
    ),
    allowUnencrypted: z
      .literal(false)
      .default(false)
      .describe("Service/AllowUnencrypted. Always false: behind a proxy no message may travel unencrypted."),
    serviceAuth: serviceAuthSchema
      .default({ basic: false, negotiate: true, kerberos: true, certificate: false, credSSP: false })
      .describe("The service's authentication schemes."),
    onDelete: z
      .enum(ON_DELETE_WINRM)
      .default("retain")
      .describe("On destroy: retain the hardened settings (default), or restore the auth settings found at create."),
    adopt: adoptField("winrm-config:").optional(),
  })
  .strict();

export type WinRMProxyConfigInputs = z.infer<typeof winRMProxyConfigInputs>;
export type ServiceAuth = z.infer<typeof serviceAuthSchema>;
/** What a program may declare (z.input: defaulted fields optional); the SDK's args are derived from these. */
export type WinRMProxyConfigDeclaredInputs = z.input<typeof winRMProxyConfigInputs>;
export type ServiceAuthDeclared = z.input<typeof serviceAuthSchema>;

// ---------------------------------------------------------------------------------------------------------------
// RemoteCommand

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_().-]*$/;

/** pulumi-command's Logging values (provider/pkg/provider/remote/logging.go): which streams go to the engine's log. */
export const LOGGING = ["stdout", "stderr", "stdoutAndStderr", "none"] as const;

/** pulumi-command's names of the environment variables that carry the previous run's output. */
export const PREVIOUS_STDOUT_ENV = "PULUMI_COMMAND_STDOUT";
export const PREVIOUS_STDERR_ENV = "PULUMI_COMMAND_STDERR";

export const remoteCommandInputs = z
  .object({
    connection: connectionSchema.describe(
      "How to reach the host (secret). A different endpoint (compared normalised) replaces the resource, as a " +
        "triggers change does (no other input replaces); any other connection change (a rotated password, timeouts, " +
        "TLS, proxy) only updates the stored state: no command runs.",
    ),
    create: z
      .string()
      .min(1)
      .optional()
      .describe("Runs when the resource is created (and on update when `update` is unset). Unset: create runs nothing."),
    update: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Runs when an input other than triggers and connection changes; unset: `create` runs again. With " +
          `addPreviousOutputInEnv, ${PREVIOUS_STDOUT_ENV} / ${PREVIOUS_STDERR_ENV} hold the previous run's output.`,
      ),
    delete: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Runs when the resource is destroyed or replaced. With addPreviousOutputInEnv, " +
          `${PREVIOUS_STDOUT_ENV} / ${PREVIOUS_STDERR_ENV} hold the output of the last create or update.`,
      ),
    shell: z.enum(["cmd", "powershell"]).default("cmd").describe("cmd.exe (default) or a PowerShell script."),
    stdin: z.string().optional().describe("Text written to the command's stdin, then closed."),
    environment: z
      .record(z.string(), z.string())
      .optional()
      .describe("Environment variables of the remote shell.")
      .superRefine((env, ctx) => {
        for (const k of Object.keys(env ?? {})) {
          if (!ENV_NAME.test(k)) {
            ctx.addIssue({ code: "custom", path: [k], message: "is not a valid environment variable name (letters, digits, _)" });
          }
        }
      }),
    addPreviousOutputInEnv: z
      .boolean()
      .default(true)
      .describe(
        `As in @pulumi/command: the update and delete commands get the previous create/update's stdout and stderr in ` +
          `${PREVIOUS_STDOUT_ENV} and ${PREVIOUS_STDERR_ENV} (each set only when not empty). Default true.`,
      ),
    dir: z
      .string()
      .min(1)
      .optional()
      .describe('Working directory of the remote shell (rsp:WorkingDirectory), e.g. "C:\\deploy"; default the account\'s profile directory.'),
    acceptedExitCodes: z
      .array(z.number().int().min(0).max(0xffffffff))
      .max(64)
      .optional()
      .describe("Exit codes that count as success besides 0 (robocopy's 1, an installer's 3010); any other fails the operation."),
    logging: z
      .enum(LOGGING)
      .default("stdoutAndStderr")
      .describe(
        "Which output is shown in the `pulumi up` log while the command runs (line by line, as the host sends it): " +
          "stdout, stderr, stdoutAndStderr (default, as @pulumi/command) or none. The stdout / stderr outputs hold " +
          "everything either way. Lines are prefixed with the host and phase; they appear under the stack resource.",
      ),
    triggers: z.array(z.unknown()).optional().describe("Any change replaces the resource (the create command runs again)."),
    timeoutSeconds: z.number().int().positive().optional().describe("Deadline for each command."),
  })
  .strict()
  .superRefine((v, ctx) => {
    for (const k of Object.keys(v.environment ?? {})) {
      if (v.addPreviousOutputInEnv && (k.toUpperCase() === PREVIOUS_STDOUT_ENV || k.toUpperCase() === PREVIOUS_STDERR_ENV)) {
        ctx.addIssue({
          code: "custom",
          path: ["environment", k],
          message: "is set by addPreviousOutputInEnv (the previous run's output); rename it or set addPreviousOutputInEnv: false",
        });
      }
    }
  });

export type RemoteCommandInputs = z.infer<typeof remoteCommandInputs>;
/** What a program may declare (z.input: defaulted fields optional); the SDK's args are derived from it. */
export type RemoteCommandDeclaredInputs = z.input<typeof remoteCommandInputs>;

// ---------------------------------------------------------------------------------------------------------------
// CopyToRemote

/**
 * Why a remote path is refused, or undefined (provider/src/copy/remotePaths.ts: the copy engine's own rules), with
 * `%` refused too (the resource may run on a cmd-only host, which would expand it) and the drive or share root itself
 * (destroy removes the path).
 */
export function remotePathProblem(path: string): string | undefined {
  return copyPathProblem(path, { percent: true, root: true });
}

/** A remote path as it is sent to the host: `\` separators, no trailing separator. */
export function remotePathForm(path: string): string {
  const p = path.replaceAll("/", "\\");
  return p.endsWith("\\") && p.length > 3 ? p.slice(0, -1) : p;
}

/** The key two spellings of one Windows path share (case-insensitive file systems: NTFS, SMB shares). */
export function remotePathKey(path: string): string {
  return remotePathForm(path).toLowerCase();
}

export const copyToRemoteInputs = z
  .object({
    connection: connectionSchema.describe(
      "How to reach the host (secret). A different endpoint (compared normalised) replaces the resource: the files " +
        "are copied to the new host, then removed from the old one; any other connection change (a rotated " +
        "password, timeouts, TLS, proxy) only updates the stored state: nothing is copied.",
    ),
    source: z
      .string()
      .min(1)
      .describe(
        "The local file or directory to copy, as a path (relative paths are relative to the Pulumi project " +
          "directory). Its content is hashed at every preview, locally: a changed, added or removed file replaces " +
          "the resource (the copy is made again).",
      ),
    remotePath: z
      .string()
      .min(1)
      .max(MAX_REMOTE_PATH - PARTIAL_SUFFIX.length)
      .describe(
        'Where the copy goes on the host, an absolute Windows path ("C:\\deploy\\app" or ' +
          '"\\\\server\\share\\app"): the file itself for a file source; for a directory source, the ' +
          "directory that holds the source's contents. A change replaces the resource.",
      )
      .superRefine((s, ctx) => {
        const problem = remotePathProblem(s);
        if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
      }),
    triggers: z.array(z.unknown()).optional().describe("Any change replaces the resource (the copy is made again)."),
    deleteOnDestroy: z
      .boolean()
      .default(true)
      .describe(
        "true (default): destroy, and a replacement, remove remotePath from the host (with anything in it); false: " +
          "the files stay on the host when the resource goes.",
      ),
  })
  .strict();

export type CopyToRemoteInputs = z.infer<typeof copyToRemoteInputs>;
/** What a program may declare (z.input: defaulted fields optional); the SDK's args are derived from it. */
export type CopyToRemoteDeclaredInputs = z.input<typeof copyToRemoteInputs>;

// ---------------------------------------------------------------------------------------------------------------
// check

const FIXES: Record<string, string> = {
  connection: "give { endpoint, auth: { username, password } }",
  "connection.endpoint": 'give a URL such as "https://host.example.com:5986/wsman"',
  "connection.auth": "give { mechanism, username, password }",
  "connection.auth.username": 'give "DOMAIN\\\\user", "user@domain" or "user"',
  "connection.auth.password": "give the password as a string (wrap it in pulumi.secret)",
  "connection.auth.mechanism": "use negotiate, ntlm, basic, kerberos or credssp",
  "connection.proxy": 'use "none", "env" or { url: "http://proxy:3128", auth, username, password, mode }',
  "connection.proxy.url": 'give the proxy as "http://proxy.example.com:3128" or "https://proxy.example.com:443"',
  "connection.proxy.auth": "use none, basic, negotiate, ntlm or kerberos",
  "connection.proxy.mode": "use auto, tunnel or forward",
  "connection.proxy.bypass": 'give a WinHTTP-style list such as "<local>;*.corp.example"',
  "connection.messageEncryption": 'use "auto", "always" or "never"',
  "connection.codePage": 'give "auto" or a Windows code page number such as 65001, 437 or 850',
  "connection.tls.ca": "give the CA certificate(s) as one PEM string",
  "connection.tls.rejectUnauthorized": "use true (default) or false",
  "connection.timeouts.connectMs": "give a positive whole number of milliseconds",
  "connection.timeouts.operationTimeoutSec": "give a positive whole number of seconds",
  "connection.timeouts.readMs": "give a positive whole number of milliseconds, larger than operationTimeoutSec * 1000",
  onDelete: "see the resource documentation for the allowed values",
  shell: 'use "cmd" or "powershell"',
  create: "give the command line to run",
  logging: 'use "stdout", "stderr", "stdoutAndStderr" or "none"',
  acceptedExitCodes: "give whole numbers such as [1, 3010]",
  dir: 'give a directory on the host such as "C:\\deploy"',
  source: "give the path of a local file or directory",
  remotePath: 'give an absolute Windows path such as "C:\\deploy\\app"',
};

function pathString(path: readonly PropertyKey[]): string {
  let s = "";
  for (const p of path) {
    if (typeof p === "number") s += `[${p}]`;
    else s += s === "" ? String(p) : `.${String(p)}`;
  }
  return s;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown[] {
  // every value along the path (for the unknown check)
  const seen: unknown[] = [];
  let v: unknown = input;
  for (const k of path) {
    v = typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined;
    seen.push(v);
  }
  return seen;
}

/** What a union property accepts, where the branches alone cannot say it (zod's array issue names no element type). */
const EXPECTED_TYPES: Record<string, string> = {
  bypassList: "a string or an array of strings",
  "connection.proxy": '"none", "env" or a proxy object { url, auth, ... }',
  "connection.codePage": 'a whole number (a Windows code page such as 65001) or "auto"',
};

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "a boolean (true or false)",
  object: "an object",
  array: "an array",
  record: "an object",
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** "a, b or c". */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items.at(-1) ?? ""}`;
}

/** What the branches of a failed union expect at the union's own path ("a number or \"auto\""). */
function unionExpectation(issue: z.core.$ZodIssue & { code: "invalid_union" }): string | undefined {
  const expected: string[] = [];
  for (const branch of issue.errors) {
    for (const e of branch) {
      if (e.path.length > 0) continue;
      if (e.code === "invalid_type") expected.push(typeName(e.expected));
      else if (e.code === "invalid_value") expected.push(...e.values.map((v) => JSON.stringify(v)));
    }
  }
  const unique = [...new Set(expected)];
  return unique.length > 0 ? orList(unique) : undefined;
}

function describe(issue: z.core.$ZodIssue, property: string): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.message.endsWith("received undefined") ? "is required" : `must be ${typeName(issue.expected)}`;
    case "invalid_value":
      return issue.values.length > 0 ? `must be one of ${issue.values.map((x) => JSON.stringify(x)).join(", ")}` : "has a value that is not allowed";
    case "too_big":
      return issue.origin === "string" ? `must be at most ${String(issue.maximum)} characters` : "is too large";
    case "too_small":
      return issue.origin === "string" ? "must not be empty" : issue.origin === "array" ? "must not be empty" : "must be positive";
    case "invalid_union": {
      const expected = EXPECTED_TYPES[property] ?? unionExpectation(issue);
      return expected !== undefined ? `must be ${expected}` : "has the wrong type";
    }
    case "custom":
      return issue.message;
    default:
      return "is invalid";
  }
}

function failuresFromIssues(issues: readonly z.core.$ZodIssue[], input: unknown): CheckFailure[] {
  const out: CheckFailure[] = [];
  for (const issue of issues) {
    // A failure caused by a value not known yet (preview) is no failure: the real value is checked at update time.
    if (valueAt(input, issue.path).some(isUnknown)) continue;
    if (issue.code === "invalid_union" && issue.path.length > 0) {
      // proxy: "none" | "env" | {...}: report the issue inside the branch the input took (an object).
      const inner = issue.errors.find((errs) => errs.some((e) => e.path.length > 0 || e.code === "unrecognized_keys"));
      if (inner !== undefined && typeof valueAt(input, issue.path).at(-1) === "object") {
        out.push(...failuresFromIssues(inner.map((e) => ({ ...e, path: [...issue.path, ...e.path] })), input));
        continue;
      }
    }
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) {
        out.push({ property: pathString([...issue.path, k]), reason: "is not a known property; check its spelling" });
      }
      continue;
    }
    const property = pathString(issue.path);
    const reason = describe(issue, property);
    const fix = FIXES[property];
    out.push({ property, reason: fix !== undefined && issue.code !== "custom" ? `${reason}; ${fix}` : reason });
  }
  return out;
}

/**
 * Connection fields that messages of parseConnection and the transport policy name relative to the connection
 * ("auth.mechanism"); in a resource they are `connection.auth.mechanism`.
 */
const CONNECTION_FIELDS =
  /(?<![\w.])(auth\.(?:mechanism|username|password|domain|spn)|messageEncryption|tls\.(?:ca|serverName|rejectUnauthorized|thumbprint|clientCertificate|clientKeyPassphrase|clientKey)|proxy\.(?:url|auth|mode|username|password|bypass|tls(?:\.ca|\.serverName)?)|timeouts\.(?:connectMs|operationTimeoutSec|readMs))\b/g;

/** A connection-relative message with every field it names given its full path (`connection.auth.mechanism`). */
export function qualifyConnectionFields(text: string): string {
  return text.replace(CONNECTION_FIELDS, "connection.$1");
}

/**
 * Leaves of a connection that no offline rule reads the value of (names, passwords, PEM text, timeouts): an unknown
 * value there (preview: a password from another resource) is replaced by a stand-in of the right shape, so the rules
 * that depend only on the rest (the transport policy) still run. undefined = the leaf is dropped (its default, or
 * absent): tls.ca unknown must not trip "tls.ca applies only to https://".
 */
const OPAQUE_LEAVES: Record<string, string | undefined> = {
  "auth.username": "user",
  "auth.password": "password",
  "auth.domain": "DOMAIN",
  "auth.spn": "HTTP/host",
  "tls.ca": undefined,
  "tls.serverName": "host",
  "proxy.username": "user",
  "proxy.password": "password",
  "proxy.domain": "DOMAIN",
  "proxy.spn": "HTTP/proxy",
  "proxy.bypass": undefined,
  "proxy.tls.ca": undefined,
  "proxy.tls.serverName": "proxy",
  "timeouts.connectMs": undefined,
  "timeouts.operationTimeoutSec": undefined,
  "timeouts.readMs": undefined,
  codePage: undefined,
};

/** The connection with unknown opaque leaves stood in for; undefined when an unknown remains where a rule looks. */
function checkableConnection(connection: unknown): unknown {
  const copy = (v: unknown, path: string): unknown => {
    if (isUnknown(v) && path in OPAQUE_LEAVES) return OPAQUE_LEAVES[path];
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) {
      const c = copy(child, path === "" ? k : `${path}.${k}`);
      if (c !== undefined) out[k] = c;
    }
    return out;
  };
  const c = copy(connection, "");
  return containsUnknown(c) ? undefined : c;
}

/**
 * Every rule about a connection that needs no network: parseConnection (URL shape, required passwords, proxy
 * credentials present exactly when proxy.auth needs them, timeouts) and the transport policy (transport/policy.ts:
 * no Basic and no messageEncryption "never" over http://, proxy credentials only with an https:// endpoint, no
 * forward mode with https://), so `pulumi preview` refuses what `up` would. Paths are full (`connection.proxy.auth`).
 * Nothing here opens a socket.
 */
export function connectionFailures(connection: unknown, env: NodeJS.ProcessEnv = process.env): CheckFailure[] {
  const checkable = checkableConnection(connection);
  if (checkable === undefined) return [];
  try {
    checkPolicy(parseConnection(checkable), { env });
    return [];
  } catch (e) {
    if (e instanceof ConfigurationError || e instanceof InsecureProxyPathError) {
      // An environment variable (HTTPS_PROXY ...) is named in the message; the input it belongs to is connection.proxy.
      const field = /^[A-Z_]+$/.test(e.field) ? "proxy" : e.field;
      return [{ property: `connection.${field}`, reason: qualifyConnectionFields(e.message.slice(e.field.length + 2)) }];
    }
    throw e;
  }
}

/**
 * Validate `news` against `schema`. Returns the inputs to record (the program's own form: defaults are applied by
 * each operation, so a later default change does not rewrite state) and failures with property paths, e.g.
 * `{ property: "connection.auth.username", reason: "is required; give ..." }`. The connection's cross-field rules and
 * the transport policy (connectionFailures) run too; a value unknown during preview is let through.
 */
export function checkWith(
  schema: z.ZodType,
  news: unknown,
  extra?: (parsed: Record<string, unknown>) => CheckFailure[],
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const inputs = withoutProvider(news);
  const parsed = schema.safeParse(inputs);
  const failures = parsed.success ? [] : failuresFromIssues(parsed.error.issues, inputs);
  if (!failures.some((f) => f.property === "connection" || f.property.startsWith("connection."))) {
    if (inputs.connection !== undefined) failures.push(...connectionFailures(inputs.connection));
  }
  if (parsed.success && extra !== undefined && !containsUnknown(inputs)) {
    failures.push(...extra(parsed.data as Record<string, unknown>));
  }
  return { inputs: plain(inputs), failures };
}

/** Parse inputs that check accepted (throws ConfigurationError with the first failure's path otherwise). */
export function parseInputs<S extends z.ZodType>(schema: S, news: unknown): z.infer<S> {
  const inputs = withoutProvider(news);
  const parsed = schema.safeParse(inputs);
  if (!parsed.success) {
    const f = failuresFromIssues(parsed.error.issues, inputs)[0] ?? { property: "inputs", reason: "are invalid" };
    throw new ConfigurationError(f.property, f.reason);
  }
  return parsed.data;
}

/** The validated connection of stored state or inputs. */
export function connectionOf(props: Record<string, unknown>): Connection {
  try {
    return parseConnection(props.connection);
  } catch (e) {
    if (e instanceof ConfigurationError) {
      throw new ConfigurationError(`connection.${e.field}`, qualifyConnectionFields(e.message.slice(e.field.length + 2)));
    }
    throw e;
  }
}

/**
 * Check the state's layout version. Version 1 is the only one so far; state without a version predates none of our
 * releases and is refused like a newer one, with the fix.
 */
export function checkStateVersion(props: Record<string, unknown>, resource: string): void {
  const v = props.schemaVersion;
  if (v === SCHEMA_VERSION) return;
  if (typeof v === "number" && v > SCHEMA_VERSION) {
    throw new ConfigurationError(
      "schemaVersion",
      `${resource} state was written by a newer pulumi-winrm-proxy (layout ${v}, this one reads ${SCHEMA_VERSION}); upgrade the package`,
    );
  }
  throw new ConfigurationError("schemaVersion", `${resource} state has no known layout version; run \`pulumi refresh\` with the current package`);
}

/** A stored state of `resource` (without `__provider`), after checking its layout version. */
export function storedState<T>(props: Record<string, unknown>, resource: string): T {
  const p = withoutProvider(props);
  checkStateVersion(p, resource);
  return p as unknown as T;
}
