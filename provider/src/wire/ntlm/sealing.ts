/**
 * NTLM message confidentiality and integrity with Extended Session Security (MS-NLMP 3.4.3 SEAL, 3.4.4.2 MAC with
 * ESS), as WinRM uses it for HTTP message encryption (MS-WSMV 2.2.9.1.1).
 *
 * - One RC4 handle per direction, keyed once with SEALKEY(direction), whose keystream continues across messages
 *   (MS-NLMP 3.4.3: "the RC4 key is initialized once per context"). Never re-key per message.
 * - One sequence number per direction, from 0, +1 per sealed message.
 * - sealed = RC4(handle, plaintext); checksum = HMAC_MD5(SIGNKEY, LE32(seq) || plaintext)[0..7];
 *   with KEY_EXCH the checksum is RC4'd with the same handle (after the data); signature = 01000000 || checksum || LE32(seq).
 * - The initiator seals with the client-to-server keys and unseals with server-to-client ones; the acceptor the reverse.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import { DecryptError } from "../../errors.js";
import { type Direction, sealKey, signKey } from "./crypto.js";
import { NegotiateFlags, hasFlag } from "./flags.js";
import { Rc4 } from "./rc4.js";

export const NTLM_SIGNATURE_LENGTH = 16;

class DirectionState {
  readonly rc4: Rc4;
  /** SIGNKEY imported once as a KeyObject: each message's HMAC reuses it instead of importing raw key bytes. */
  readonly signKey: KeyObject;
  seq = 0;
  /** LE32(seq) scratch for the HMAC input, reused across messages. */
  readonly seqBytes = Buffer.alloc(4);
  constructor(exportedSessionKey: Uint8Array, flags: number, direction: Direction) {
    this.rc4 = new Rc4(sealKey(exportedSessionKey, flags, direction));
    this.signKey = createSecretKey(signKey(exportedSessionKey, direction));
  }
}

export class NtlmSealing {
  private readonly out: DirectionState;
  private readonly in: DirectionState;
  private readonly keyExch: boolean;

  constructor(opts: { exportedSessionKey: Uint8Array; flags: number; role: "initiator" | "acceptor" }) {
    if (opts.exportedSessionKey.length !== 16) throw new RangeError("ExportedSessionKey must be 16 bytes");
    if (!hasFlag(opts.flags, NegotiateFlags.EXTENDED_SESSIONSECURITY)) {
      // NTLMv1-style sealing (MS-NLMP 3.4.4.1, CRC32 checksum) is never negotiated by WinRM peers.
      throw new RangeError("NTLM sealing without extended session security is not supported");
    }
    const outDir: Direction = opts.role === "initiator" ? "client-to-server" : "server-to-client";
    const inDir: Direction = opts.role === "initiator" ? "server-to-client" : "client-to-server";
    this.out = new DirectionState(opts.exportedSessionKey, opts.flags, outDir);
    this.in = new DirectionState(opts.exportedSessionKey, opts.flags, inDir);
    this.keyExch = hasFlag(opts.flags, NegotiateFlags.KEY_EXCH);
  }

  /** Sequence number the next sealed message will carry. */
  get sendSequence(): number {
    return this.out.seq;
  }

  /** Sequence number the next message from the peer must carry. */
  get receiveSequence(): number {
    return this.in.seq;
  }

  seal(plain: Uint8Array): { signature: Buffer; sealed: Buffer } {
    const d = this.out;
    const sealed = d.rc4.update(plain);
    const signature = this.signature(d, plain);
    d.seq = (d.seq + 1) >>> 0;
    return { signature, sealed };
  }

  /** Decrypts and verifies one message from the peer; throws DecryptError when the signature or sequence is wrong. */
  /** `out` receives the plaintext (a new buffer by default); it may be `sealed` itself, decrypting in place. */
  unseal(signature: Uint8Array, sealed: Uint8Array, out?: Uint8Array): Buffer {
    if (signature.length !== NTLM_SIGNATURE_LENGTH) {
      throw new DecryptError(`NTLM signature is ${signature.length} bytes, expected ${NTLM_SIGNATURE_LENGTH}`);
    }
    const d = this.in;
    // Decrypt first: the checksum's RC4 continues the keystream after the data (MS-NLMP 3.4.4.2).
    const plain = d.rc4.update(sealed, out);
    const expected = this.signature(d, plain);
    const got = Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
    if (!timingSafeEqual(expected, got)) {
      const seq = got.readUInt32LE(12);
      const why = seq !== d.seq ? `sequence number ${seq}, expected ${d.seq}` : "checksum mismatch";
      throw new DecryptError(`the NTLM-sealed message failed its integrity check (${why}); it was altered, replayed or sealed with other keys`);
    }
    d.seq = (d.seq + 1) >>> 0;
    return plain;
  }

  /** Version 1, checksum, LE32(seq), built in one 16-byte buffer (MS-NLMP 2.2.2.9.1). */
  private signature(d: DirectionState, plain: Uint8Array): Buffer {
    d.seqBytes.writeUInt32LE(d.seq);
    const mac = createHmac("md5", d.signKey).update(d.seqBytes).update(plain).digest();
    const sig = Buffer.allocUnsafe(NTLM_SIGNATURE_LENGTH);
    sig.writeUInt32LE(1, 0);
    const checksum = sig.subarray(4, 12);
    if (this.keyExch) d.rc4.update(mac.subarray(0, 8), checksum);
    else mac.copy(checksum, 0, 0, 8);
    sig.writeUInt32LE(d.seq, 12);
    return sig;
  }
}
