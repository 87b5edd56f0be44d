/**
 * What the emulator saw, one entry per HTTP request, for tests to assert on (round trips, which requests were sealed,
 * on which TCP connection the handshake ran) and for `main.ts --verbose` to print. Never holds a secret: no
 * Authorization token, no password, no body content.
 */

export type AuthState = "anonymous" | "handshake" | "authenticated";

export interface RequestLogEntry {
  /** 1-based number of the TCP connection the request came on (in accept order). */
  connection: number;
  method: string;
  path: string;
  /** HTTP status the emulator answered. */
  status: number;
  /** Scheme of the request's Authorization header ("Negotiate", "Basic", ...), when there was one. */
  authScheme?: string;
  /** State of the connection's security context after this request. */
  authState: AuthState;
  /** "DOMAIN\\user" once authenticated. */
  user?: string;
  /** The request body was multipart/encrypted. */
  encrypted: boolean;
  /** Bytes of the request body as sent (sealed size when encrypted). */
  bodyBytes: number;
  /** WS-Addressing Action of the SOAP request, or "Identify" for a WS-Man Identify. */
  action?: string;
  /**
   * GSS_FLAGS of the Kerberos context this request completed (RFC 2744 ret_flags; GSS_C_DELEG_FLAG 0x1 = the client
   * delegated its TGT). Only on the request that carried the AP-REQ.
   */
  gssFlags?: number;
  /** Why the emulator answered as it did, when that is not obvious ("unencrypted body refused", "bad credentials"). */
  note?: string;
}

/** One line per entry, for logs: `#3 POST /wsman 200 Negotiate authenticated EXAMPLE\alice enc 1234B Receive`. */
export function formatEntry(e: RequestLogEntry): string {
  const parts = [`#${e.connection}`, e.method, e.path, String(e.status), e.authScheme ?? "-", e.authState];
  if (e.user !== undefined) parts.push(e.user);
  parts.push(e.encrypted ? "enc" : "plain", `${e.bodyBytes}B`);
  if (e.action !== undefined) parts.push(shortAction(e.action));
  if (e.note !== undefined) parts.push(`(${e.note})`);
  return parts.join(" ");
}

/** The last path segment of an action URI ("…/shell/Receive" → "Receive"). */
export function shortAction(action: string): string {
  const slash = action.lastIndexOf("/");
  return slash >= 0 ? action.slice(slash + 1) : action;
}
