/**
 * One error hierarchy for the whole product. Every error has a stable `code` a program can switch on, and a
 * message a person can act on. No message may contain a secret (password, hash, token, key).
 *
 * `instanceof` works across two loaded copies of this package (a Pulumi program and its dynamic-provider process can
 * each load one): every class brands its instances with a `Symbol.for` key and checks the brand in `Symbol.hasInstance`.
 */

const BRAND = Symbol.for("pulumi-winrm-proxy.error");

export type ErrorCode =
  | "WINRM_CONFIG"
  | "WINRM_INSECURE_PROXY_PATH"
  | "WINRM_AUTH_FAILED"
  | "WINRM_PROXY_AUTH_FAILED"
  | "WINRM_PROXY_AFFINITY"
  | "WINRM_PROXY"
  | "WINRM_HTTP"
  | "WINRM_FAULT"
  | "WINRM_OPERATION_TIMEOUT"
  | "WINRM_TIMEOUT"
  | "WINRM_DECRYPT"
  | "WINRM_PROTOCOL"
  | "WINRM_CONNECTION"
  | "WINRM_CONNECTION_LOST"
  | "WINRM_TLS_PIN_MISMATCH"
  | "WINRM_LIMIT"
  | "WINRM_COMMAND_FAILED"
  | "WINRM_ABORTED"
  // provider/src/copy/errors.ts
  | "WINRM_COPY_VERIFY"
  | "WINRM_COPY_FAILED";

export class WinRMError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: new.target.name });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== "object" || value === null || !(BRAND in value)) return false;
    // Walk the brand names of this class and its subclasses: a subclass instance is an instance of its bases.
    let proto: unknown = Object.getPrototypeOf(value);
    while (proto !== null && typeof proto === "object") {
      const ctor = (proto as { constructor?: { name?: string } }).constructor;
      if (ctor?.name === this.name) return true;
      proto = Object.getPrototypeOf(proto);
    }
    return false;
  }
}

/** Input that cannot work, refused before any byte is sent. `field` is the dotted path of the offending input. */
export class ConfigurationError extends WinRMError {
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super("WINRM_CONFIG", `${field}: ${message}`, options);
    this.field = field;
  }
}

/** A path that would break one of Microsoft's proxy rules (README "Through a proxy", rules 2 and 5); names the rule and the fix. */
export class InsecureProxyPathError extends WinRMError {
  readonly rule: string;
  readonly field: string;
  constructor(rule: string, field: string, message: string) {
    super("WINRM_INSECURE_PROXY_PATH", `${field}: ${message}`);
    this.rule = rule;
    this.field = field;
  }
}

/** The target refused our credentials, or the handshake broke. `stage` says where (e.g. "NTLM CHALLENGE"). */
export class AuthenticationError extends WinRMError {
  readonly mechanism: string;
  readonly stage: string;
  readonly httpStatus: number | undefined;
  constructor(mechanism: string, stage: string, message: string, options?: { cause?: unknown; httpStatus?: number }) {
    super("WINRM_AUTH_FAILED", `${mechanism} authentication failed at ${stage}: ${message}`, options);
    this.mechanism = mechanism;
    this.stage = stage;
    this.httpStatus = options?.httpStatus;
  }
}

/** The proxy answered 407 to every attempt, or its handshake broke. */
export class ProxyAuthenticationError extends WinRMError {
  readonly mechanism: string;
  readonly stage: string;
  constructor(mechanism: string, stage: string, message: string, options?: { cause?: unknown }) {
    super("WINRM_PROXY_AUTH_FAILED", `proxy ${mechanism} authentication failed at ${stage}: ${message}`, options);
    this.mechanism = mechanism;
    this.stage = stage;
  }
}

/** A forward proxy did not keep one server connection for our connection-based authentication. */
export class ProxyAffinityError extends WinRMError {
  readonly observed: string;
  constructor(observed: string, options?: { cause?: unknown }) {
    super(
      "WINRM_PROXY_AFFINITY",
      `the proxy broke connection affinity: ${observed}. Connection-based authentication (Negotiate, Kerberos, ` +
        `CredSSP) needs one server connection for the whole handshake and the requests after it. Fix: use an ` +
        `https:// endpoint, or proxyMode "tunnel" (CONNECT), or a proxy that pins connections.`,
      options,
    );
    this.observed = observed;
  }
}

/** The proxy itself failed: unreachable, refused CONNECT, answered with an error. */
export class ProxyError extends WinRMError {
  readonly httpStatus: number | undefined;
  constructor(message: string, options?: { cause?: unknown; httpStatus?: number }) {
    super("WINRM_PROXY", message, options);
    this.httpStatus = options?.httpStatus;
  }
}

/** An HTTP status the protocol does not expect. */
export class HttpError extends WinRMError {
  readonly httpStatus: number;
  constructor(httpStatus: number, message: string, options?: { cause?: unknown }) {
    super("WINRM_HTTP", `HTTP ${httpStatus}: ${message}`, options);
    this.httpStatus = httpStatus;
  }
}

/** f:ProviderFault (MS-WSMV 2.2.4.41): the plugin that failed, and what it said or the fault it nested. */
export interface ProviderFaultInfo {
  /** @provider, e.g. "Shell cmd plugin" */
  provider?: string;
  /** @path, e.g. "%systemroot%\system32\winrscmd.dll" */
  path?: string;
  /** Text directly inside f:ProviderFault (white space collapsed), when the plugin wrote text and no nested fault. */
  text?: string;
  /** f:ExtendedError's first element's children by local name (e.g. WMI __ExtendedStatus Operation, ProviderName). */
  extendedError?: Record<string, string>;
}

/** f:WSManFault (MS-WSMV 2.2.4.41), one level: a provider fault may nest another WSManFault (`inner`). */
export interface WSManFaultInfo {
  /** @Code, e.g. 2150858843 */
  code?: number;
  /** @Machine: the host that raised this level (each nested level names its own) */
  machine?: string;
  /** f:Message text (white space collapsed), when it holds text */
  message?: string;
  providerFault?: ProviderFaultInfo;
  /** f:ProviderFault/f:WSManFault */
  inner?: WSManFaultInfo;
}

/** A CIM error (p:MSFT_WmiError, DSP0227 / MS-WSMV 2.2.4.41 WMI errors) as the host wrote it. */
export interface WmiErrorInfo {
  /** p:Message: the specific text */
  message?: string;
  /** p:MessageID, e.g. "HRESULT 0x803381a5" */
  messageId?: string;
  /** p:error_Code */
  errorCode?: number;
  /** p:CIMStatusCode (DSP0004 CIM status) */
  cimStatusCode?: number;
  /** Every child with a value (xsi:nil ones left out), by local name, as written. */
  fields: Record<string, string>;
}

export interface WSManFaultDetails {
  httpStatus: number;
  /** s:Code/s:Value, e.g. "s:Receiver" */
  faultCode?: string;
  /** s:Subcode/s:Value, e.g. "w:TimedOut" */
  subcode?: string;
  /** f:WSManFault/@Code (or WMI p:error_Code), e.g. 2150858793 */
  wsmanCode?: number;
  /** the outer f:WSManFault/@Machine */
  machine?: string;
  /** The most specific text: innermost f:Message, provider text, WMI p:Message, else s:Reason/s:Text */
  reason: string;
  /** s:Reason/s:Text as sent (white space collapsed): often the generic sentence of the subcode */
  soapReason?: string;
  /** w:FaultDetail URI, e.g. http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue */
  detail?: string;
  /** a:Action of the fault, e.g. http://schemas.dmtf.org/wbem/wsman/1/wsman/fault */
  action?: string;
  /** p:ActivityId of the response header (Windows' ETW correlation id) */
  activityId?: string;
  wsmanFault?: WSManFaultInfo;
  wmiError?: WmiErrorInfo;
}

/** Longest host text quoted in an error message; the full text stays on the fields. */
const MAX_MESSAGE_TEXT = 2000;

function bounded(s: string): string {
  return s.length <= MAX_MESSAGE_TEXT ? s : `${s.slice(0, MAX_MESSAGE_TEXT)}...`;
}

/**
 * A SOAP fault from the WS-Management service (MS-WSMV 2.2.4.43), with every level of detail the host sent. The
 * message quotes the most specific text the host gave and the w:FaultDetail URI; it holds only what the host wrote,
 * never anything of the client's credentials.
 */
export class WSManFaultError extends WinRMError {
  readonly httpStatus: number;
  readonly faultCode: string | undefined;
  readonly subcode: string | undefined;
  readonly wsmanCode: number | undefined;
  readonly machine: string | undefined;
  readonly reason: string;
  readonly soapReason: string | undefined;
  readonly detail: string | undefined;
  readonly action: string | undefined;
  readonly activityId: string | undefined;
  readonly wsmanFault: WSManFaultInfo | undefined;
  readonly wmiError: WmiErrorInfo | undefined;
  constructor(details: WSManFaultDetails, code: ErrorCode = "WINRM_FAULT") {
    const num = details.wsmanCode !== undefined ? ` ${details.wsmanCode} (0x${details.wsmanCode.toString(16).toUpperCase()})` : "";
    const faultDetail = details.detail !== undefined ? ` [${bounded(details.detail)}]` : "";
    super(code, `WS-Management fault${num}${details.subcode ? ` ${details.subcode}` : ""}: ${bounded(details.reason)}${faultDetail}`);
    this.httpStatus = details.httpStatus;
    this.faultCode = details.faultCode;
    this.subcode = details.subcode;
    this.wsmanCode = details.wsmanCode;
    this.machine = details.machine;
    this.reason = details.reason;
    this.soapReason = details.soapReason;
    this.detail = details.detail;
    this.action = details.action;
    this.activityId = details.activityId;
    this.wsmanFault = details.wsmanFault;
    this.wmiError = details.wmiError;
  }
}

/** w:TimedOut, 0x80338029: no output within OperationTimeout. Normal on Receive: the client reissues it. */
export class OperationTimeoutFault extends WSManFaultError {
  static readonly WSMAN_CODE = 2150858793;
  constructor(details: WSManFaultDetails) {
    super(details, "WINRM_OPERATION_TIMEOUT");
  }
}

/** Our own deadline (timeoutMs, connect or read timeout) passed. */
export class TimeoutError extends WinRMError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WINRM_TIMEOUT", message, options);
  }
}

/** A sealed message failed its integrity check, had the wrong length, or could not be parsed. */
export class DecryptError extends WinRMError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WINRM_DECRYPT", message, options);
  }
}

/** The peer sent something the protocol does not allow (malformed XML, missing ShellId, bad framing). */
export class ProtocolError extends WinRMError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WINRM_PROTOCOL", message, options);
  }
}

/**
 * Where a connection failed:
 * - "connect": before any request left (TCP connect, TLS handshake, CONNECT through the proxy); the host never saw
 *   a message, so the dial may be retried (timeouts.connectAttempts);
 * - "exchange": after a request was written; the host may have received it, and acted on it.
 */
export type ConnectionPhase = "connect" | "exchange";

/** TCP or TLS failed: refused, reset, certificate rejected. */
export class ConnectionError extends WinRMError {
  readonly phase: ConnectionPhase;
  constructor(
    message: string,
    options?: { cause?: unknown; phase?: ConnectionPhase },
    code: ErrorCode = "WINRM_CONNECTION",
  ) {
    super(code, message, options);
    this.phase = options?.phase ?? "connect";
  }
}

/**
 * The host's certificate is not the one tls.thumbprint pins: someone on the path (or a re-keyed listener) presented
 * another. Both fingerprints are public data (a certificate is sent in clear in TLS 1.2, and to anyone who connects).
 * Never retried: the same host would present the same certificate.
 */
export class TlsPinMismatchError extends WinRMError {
  readonly algorithm: "sha256" | "sha1";
  readonly expected: string;
  readonly presented: string | undefined;
  constructor(algorithm: "sha256" | "sha1", expected: string, presented: string | undefined) {
    super(
      "WINRM_TLS_PIN_MISMATCH",
      `the host's certificate does not match tls.thumbprint: expected ${algorithm.toUpperCase()} ${expected}, ` +
        `the host presented ${presented ?? "no certificate"}; if the listener's certificate was renewed, pin the new one`,
    );
    this.algorithm = algorithm;
    this.expected = expected;
    this.presented = presented;
  }
}

/**
 * The connection broke after a request had left: the host was reached and may have run it (a Command may be running
 * now). Never re-sent automatically unless repeating it changes nothing (Get, Signal, Delete, Identify).
 */
export class ConnectionLostError extends ConnectionError {
  /** The WS-Management step that was in flight ("Command", "Receive", ...), when known. */
  readonly step: string | undefined;
  constructor(message: string, options?: { cause?: unknown; step?: string }) {
    super(message, { ...(options?.cause !== undefined ? { cause: options.cause } : {}), phase: "exchange" }, "WINRM_CONNECTION_LOST");
    this.step = options?.step;
  }
}

/**
 * A peer (the host, or anything on the path: a proxy) sent more than the client accepts: a body over the cap derived
 * from MaxEnvelopeSize, too many or too large headers, an oversized CONNECT reply. `limit` names the bound, `value` is
 * the bound itself (never the peer's data).
 */
export class LimitExceededError extends WinRMError {
  readonly limit: string;
  readonly value: number;
  constructor(limit: string, value: number, message: string, options?: { cause?: unknown }) {
    super("WINRM_LIMIT", `${message} (limit ${limit} = ${value})`, options);
    this.limit = limit;
    this.value = value;
  }
}

/** Which bound of a peer's XML document was passed (wsman/xmlReader.ts XML_LIMITS). */
export type XmlLimit = "size" | "depth" | "elements" | "references";

/** A peer's XML document passed one of the reader's bounds (refused before or while reading it). Code WINRM_LIMIT. */
export class XmlLimitError extends LimitExceededError {
  declare readonly limit: XmlLimit;
  readonly max: number;
  constructor(limit: XmlLimit, max: number, what: string) {
    super(`XML ${limit}`, max, `XML document refused: ${what}`);
    Object.defineProperty(this, "limit", { value: limit, enumerable: true });
    this.max = max;
  }
}

/** A remote command exited non-zero where success was required. */
export class CommandFailedError extends WinRMError {
  readonly exitCode: number;
  readonly stderrTail: string;
  constructor(command: string, exitCode: number, stderrTail: string) {
    super("WINRM_COMMAND_FAILED", `command ${JSON.stringify(command)} exited with code ${exitCode}${stderrTail ? `: ${stderrTail}` : ""}`);
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

/** The caller's AbortSignal fired. */
export class AbortError extends WinRMError {
  constructor(options?: { cause?: unknown }) {
    super("WINRM_ABORTED", "the operation was aborted", options);
  }
}
