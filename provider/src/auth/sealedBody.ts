/**
 * One sealed WinRM body, for both kinds of sealer (MS-WSMV 2.2.9.1): the synchronous ones of NTLM and Kerberos (one
 * multipart/encrypted part pair) and CredSSP's TLS records (RecordSealer: 16 KiB parts, several of them as
 * multipart/x-multi-encrypted, as Windows and pywinrm write it). Used by the client session (transport/session.ts)
 * and the emulated host (testing/server.ts) alike.
 */
import { DecryptError, LimitExceededError } from "../errors.js";
import {
  decodeEncryptedParts,
  encodeEncryptedBody,
  encodeMultiEncryptedBody,
  verifyOriginalLength,
} from "../wire/multipart.js";
import type { AuthMechanism, MessageSealer, RecordSealer } from "./mechanism.js";

export type Sealer = MessageSealer | RecordSealer;

export function isRecordSealer(s: Sealer): s is RecordSealer {
  return "partBytes" in s;
}

/** The sealer of a complete context: its record sealer when it has one (CredSSP), else its message sealer. */
export function sealerOf(mech: AuthMechanism): Sealer {
  return mech.recordSealer?.() ?? mech.sealer();
}

/** Seal one message into a body and its Content-Type. */
export async function sealBody(sealer: Sealer, plain: Uint8Array): Promise<{ contentType: string; body: Buffer }> {
  if (!isRecordSealer(sealer)) return encodeEncryptedBody(sealer.protocol, sealer.wrap(plain), plain.length);
  const parts: { sealed: { header: Uint8Array; data: Uint8Array }; originalLength: number }[] = [];
  // Sequential: each part is the next record of one TLS session.
  for (let at = 0; at < plain.length || parts.length === 0; at += sealer.partBytes) {
    const chunk = plain.subarray(at, at + sealer.partBytes);
    parts.push({ sealed: await sealer.wrap(chunk), originalLength: chunk.length });
  }
  return encodeMultiEncryptedBody(sealer.protocol, parts);
}

export interface OpenLimits {
  /** The most plaintext the whole body may hold (the MaxEnvelopeSize the receiver declared or accepts). */
  readonly maxPlaintext: number;
  /** Who sent it, for the messages: "the server" or "the client". */
  readonly sender: string;
}

/**
 * Unseal a body (all its parts, in order) and return the plaintext and its OriginalContent type. Bounded: the parts
 * (wire/multipart.ts MAX_ENCRYPTED_PARTS), every declared and decrypted length against `maxPlaintext`, and each part's
 * length against its OriginalContent Length (MS-WSMV 2.2.9.1; pywinrm treats a mismatch as tampering).
 */
export async function openBody(
  sealer: Sealer,
  contentType: string,
  body: Uint8Array,
  limits: OpenLimits,
): Promise<{ plain: Buffer; originalType: string }> {
  const parts = decodeEncryptedParts(contentType, body);
  const declared = parts.reduce((n, p) => n + p.originalLength, 0);
  if (declared > limits.maxPlaintext) {
    throw new LimitExceededError(
      "decrypted message bytes",
      limits.maxPlaintext,
      `${limits.sender}'s sealed message declares a plaintext larger than the MaxEnvelopeSize`,
    );
  }
  if (parts.length > 1 && !isRecordSealer(sealer)) {
    throw new DecryptError(`${limits.sender} sent several sealed parts under ${sealer.protocol}, which seals a message in one`);
  }
  const out: Buffer[] = [];
  for (const part of parts) {
    if (part.protocol.toLowerCase() !== sealer.protocol.toLowerCase()) {
      throw new DecryptError(`${limits.sender} sealed with ${part.protocol}, expected ${sealer.protocol}`);
    }
    let plain: Uint8Array;
    try {
      plain = isRecordSealer(sealer)
        ? await sealer.unwrap(part.header, part.data, part.originalLength)
        : sealer.unwrap(part.header, part.data);
    } catch (err) {
      if (err instanceof DecryptError) throw err;
      throw new DecryptError(`${limits.sender}'s message failed its integrity check`, { cause: err });
    }
    verifyOriginalLength(plain, part.originalLength);
    out.push(Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength));
  }
  const plain = out.length === 1 ? out[0]! : Buffer.concat(out);
  if (plain.length > limits.maxPlaintext) {
    throw new LimitExceededError(
      "decrypted message bytes",
      limits.maxPlaintext,
      `${limits.sender}'s sealed message decrypts to more than the MaxEnvelopeSize`,
    );
  }
  return { plain, originalType: parts[0]!.originalType };
}
