/**
 * WinRM message sealing on an established GSS Kerberos context (MS-WSMV 2.2.9.1.2.2), the same for the initiator
 * (our client) and the acceptor (the emulated host): gss_wrap_iov with HEADER | DATA | PADDING; the header (60 bytes
 * for AES: RFC 4121 token + encrypted header copy + checksum, RRC 28, EC 0) goes after the LE32 length, the encrypted
 * data after it. AES keeps the plaintext length, so the padding is empty; RC4-HMAC would pad, and the padding then
 * travels after the data, as pyspnego's wrap_winrm sends it (MS-WSMV 2.2.9.1.2.2). Unwrap is strict and in order
 * (sequence numbers, replay): a failure is a DecryptError that keeps the GSS text, never message content.
 */
import { DecryptError } from "../../errors.js";
import type { MessageSealer } from "../mechanism.js";
import type { ContextHandle, GssapiAddon } from "./gssapi.js";

export function gssIovSealer(g: GssapiAddon, ctx: ContextHandle, protocol: string): MessageSealer {
  return {
    protocol,
    wrap(plaintext) {
      const w = g.wrapIov(ctx, plaintext, true);
      return { header: w.header, data: w.padding.length > 0 ? Buffer.concat([w.data, w.padding]) : w.data };
    },
    unwrap(header, data) {
      try {
        return g.unwrapIov(ctx, header, data);
      } catch (err) {
        throw new DecryptError(`the Kerberos-sealed message failed to unwrap: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
    },
  };
}
