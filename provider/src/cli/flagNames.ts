/**
 * The library names its fields (`tls.ca`, `auth.mechanism`); a command-line user gave flags. This maps an error's
 * field, and the field names in its text, back to the flags, so `--ca: is not a PEM certificate` points at what the
 * user typed.
 */

/** Connection field (connection.ts, with the client's run options) -> the flag that sets it. */
export const FIELD_FLAGS: Readonly<Record<string, string>> = {
  endpoint: "--endpoint",
  auth: "--auth",
  "auth.mechanism": "--auth",
  "auth.username": "--username",
  "auth.password": "--password-env",
  "auth.domain": "--domain",
  "auth.spn": "--spn",
  "auth.delegate": "--delegate",
  "auth.credsspAllowUnpatchedHosts": "--credssp-allow-unpatched",
  tls: "--ca",
  "tls.ca": "--ca",
  "tls.serverName": "--server-name",
  "tls.rejectUnauthorized": "--insecure-skip-verify",
  "tls.thumbprint": "--thumbprint",
  "tls.clientCertificate": "--cert",
  "tls.clientKey": "--key",
  "tls.clientKeyPassphrase": "--key-passphrase-env",
  messageEncryption: "--encryption",
  timeouts: "--connect-timeout",
  "timeouts.connectMs": "--connect-timeout",
  "timeouts.connectAttempts": "--connect-attempts",
  "timeouts.operationTimeoutSec": "--operation-timeout",
  // The read timeout follows the operation timeout (operationTimeoutSec + 10 s): only --operation-timeout moves it.
  "timeouts.readMs": "--operation-timeout",
  proxy: "--proxy",
  "proxy.url": "--proxy",
  "proxy.auth": "--proxy-auth",
  "proxy.username": "--proxy-username",
  "proxy.password": "--proxy-password-env",
  "proxy.domain": "--proxy-username",
  "proxy.spn": "--proxy-spn",
  "proxy.mode": "--proxy-mode",
  "proxy.bypass": "--proxy-bypass",
  "proxy.tls": "--proxy-ca",
  "proxy.tls.ca": "--proxy-ca",
  "proxy.tls.serverName": "--proxy-server-name",
  "proxy.tls.rejectUnauthorized": "--proxy-ca",
  timeoutMs: "--timeout",
};

/** The flag for an error's field, or undefined (a field with no flag, e.g. an environment variable's name). */
export function flagForField(field: string): string | undefined {
  return FIELD_FLAGS[field];
}

/**
 * Field names replaced inside a message: only the dotted and camel-case ones, which never occur as plain English
 * ("endpoint", "proxy" and "auth" do, so they are mapped only as the leading field). Longest first, so `proxy.tls.ca`
 * wins over `proxy.tls`.
 */
const IN_TEXT = Object.keys(FIELD_FLAGS)
  .filter((k) => k.includes(".") || /[A-Z]/.test(k))
  .sort((a, b) => b.length - a.length);

const isWordChar = (c: string | undefined): boolean =>
  c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c === "_");
/** Before a name: no word character and no dot (inside "a.tls.ca" nothing starts). */
const startsName = (text: string, i: number): boolean => !isWordChar(text[i - 1]) && text[i - 1] !== ".";
/** After a name: no word character, and no dot that continues it (a sentence's final dot does not). */
const endsName = (text: string, j: number): boolean => !isWordChar(text[j]) && !(text[j] === "." && isWordChar(text[j + 1]));

/** `text` with every whole-word field name replaced by its flag (one left-to-right scan, no regular expression). */
export function flagsInText(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (startsName(text, i)) {
      const key = IN_TEXT.find((k) => text.startsWith(k, i) && endsName(text, i + k.length));
      if (key !== undefined) {
        out += FIELD_FLAGS[key];
        i += key.length;
        continue;
      }
    }
    out += text[i];
    i++;
  }
  return out;
}

/**
 * A library error message as the CLI prints it: "field: text" becomes "--flag: text", and field names inside the text
 * become flags. A message whose field has no flag keeps it.
 */
export function messageWithFlags(message: string, field: string | undefined): string {
  let rest = message;
  let head = "";
  if (field !== undefined && message.startsWith(`${field}: `)) {
    head = `${flagForField(field) ?? field}: `;
    rest = message.slice(field.length + 2);
  }
  return head + flagsInText(rest);
}
