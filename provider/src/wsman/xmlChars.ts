/**
 * The character rules both XML readers share: the full reader (xmlReader.ts) and the ReceiveResponse fast path
 * (receiveScanner.ts). One copy, so the fast path can never accept a name or a space the full reader refuses.
 */
import { NS } from "./namespaces.js";

export const LT = 0x3c;
export const GT = 0x3e;
export const AMP = 0x26;
export const SLASH = 0x2f;
export const EQ = 0x3d;
export const QUOT = 0x22;
export const APOS = 0x27;
export const SEMI = 0x3b;

/** XML 1.0 S (2.3): space, tab, CR, LF. */
export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** XML 1.0 NameStartChar, loosely: ASCII letters, "_", ":", and everything from U+00C0 on. */
export function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || c >= 0xc0;
}

export function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0xb7;
}

/** The prefixes bound in every document (Namespaces in XML 1.0, 3). */
export const BASE_SCOPE: ReadonlyMap<string, string> = new Map([
  ["xml", NS.xml],
  ["xmlns", NS.xmlns],
]);
