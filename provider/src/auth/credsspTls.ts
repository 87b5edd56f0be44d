/**
 * TLS 1.2 held in memory, for CredSSP (MS-CSSP 3.1.5: the TLS records travel base64 in the HTTP Authorization and
 * WWW-Authenticate headers, not on a socket). Node's TLS runs over a Duplex whose writes are collected and whose
 * reads are fed the peer's records; `exchange` feeds one leg and returns what TLS wrote back once it has settled.
 * Used by the client mechanism (auth/credssp.ts) and by the emulated host's acceptor alike.
 */
import { Duplex } from "node:stream";
import * as tls from "node:tls";
import type { X509Certificate } from "node:crypto";
import { ProtocolError } from "../errors.js";

class RecordPipe extends Duplex {
  readonly outbound: Buffer[] = [];
  constructor(private readonly onWrite: () => void) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.outbound.push(chunk);
    this.onWrite();
    done();
  }
}

/** Bound on plaintext buffered from the peer before the caller reads it (a TSRequest is a few KiB). */
const MAX_PLAINTEXT_BUFFERED = 1024 * 1024;

export type MemoryTlsOptions =
  | { readonly isServer: false; readonly servername?: string }
  | { readonly isServer: true; readonly certPem: string; readonly keyPem: string; readonly ciphers?: string };

export class MemoryTls {
  private readonly pipe = new RecordPipe(() => this.changes++);
  readonly socket: tls.TLSSocket;
  private plaintext: Buffer[] = [];
  private plaintextBytes = 0;
  private changes = 0;
  private established = false;
  private failure: Error | undefined;

  constructor(opts: MemoryTlsOptions) {
    const versions = { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" } as const;
    if (opts.isServer) {
      this.socket = new tls.TLSSocket(this.pipe, {
        isServer: true,
        secureContext: tls.createSecureContext({
          cert: opts.certPem,
          key: opts.keyPem,
          ...versions,
          // The server picks the suite: a host may offer only CBC suites (Schannel on 2008 R2 with an RSA key).
          ...(opts.ciphers !== undefined && { ciphers: opts.ciphers }),
        }),
      });
      this.socket.on("secure", () => this.mark(() => (this.established = true)));
    } else {
      // The host's certificate is not validated by a CA here: CredSSP authenticates it by the public-key binding of
      // MS-CSSP 3.1.5 (pubKeyAuth), checked by the caller against the key this session saw.
      this.socket = tls.connect({
        socket: this.pipe,
        rejectUnauthorized: false,
        ...(opts.servername !== undefined && { servername: opts.servername }),
        ...versions,
      });
      this.socket.on("secureConnect", () => this.mark(() => (this.established = true)));
    }
    this.socket.on("data", (d: Buffer) =>
      this.mark(() => {
        this.plaintextBytes += d.length;
        if (this.plaintextBytes > MAX_PLAINTEXT_BUFFERED) this.failure = new ProtocolError("CredSSP: the peer sent too much data over TLS");
        else this.plaintext.push(d);
      }),
    );
    this.socket.on("error", (e: Error) => this.mark(() => (this.failure ??= e)));
    // A TLSSocket made with `new TLSSocket(.., { isServer: true })` outside tls.Server never releases control, so
    // its TLS errors (a bad record MAC: a tampered sealed message) come only as "_tlsError", never as "error".
    this.socket.on("_tlsError", (e: Error) => this.mark(() => (this.failure ??= e)));
    // A session that ended (the peer's close_notify, or ours destroyed) seals and opens nothing more: an exchange
    // after it fails at once rather than waiting for records that cannot come.
    this.socket.on("close", () => this.mark(() => (this.failure ??= new ProtocolError("CredSSP: the TLS session has ended"))));
  }

  /** A counter that moves whenever TLS did something (wrote records, delivered plaintext, failed). */
  get activity(): number {
    return this.changes;
  }

  private mark(f: () => void): void {
    this.changes++;
    f();
  }

  get secure(): boolean {
    return this.established;
  }

  /** The peer's certificate (the host's, for the client), once the handshake completed. */
  peerCertificate(): X509Certificate | undefined {
    return this.socket.getPeerX509Certificate();
  }

  /** Feed the peer's records (if any), optionally write plaintext, and return the records TLS produced. */
  async exchange(records: Uint8Array | undefined, plaintext?: Uint8Array): Promise<Buffer> {
    if (records !== undefined && records.length > 0) this.pipe.push(Buffer.from(records));
    if (plaintext !== undefined) this.socket.write(Buffer.from(plaintext));
    await this.settle();
    if (this.failure) throw this.failure;
    return Buffer.concat(this.pipe.outbound.splice(0));
  }

  /** Wait until TLS has done all it can with what it was given: a few quiet turns of the event loop, bounded. */
  private async settle(): Promise<void> {
    let quiet = 0;
    for (let turn = 0; turn < 500 && quiet < 3; turn++) {
      const before = this.changes;
      await new Promise<void>((r) => setImmediate(r));
      quiet = this.changes === before ? quiet + 1 : 0;
    }
  }

  /** All plaintext received so far (and forget it). */
  takePlaintext(): Buffer {
    const out = Buffer.concat(this.plaintext);
    this.plaintext = [];
    this.plaintextBytes = 0;
    return out;
  }

  destroy(): void {
    this.socket.destroy();
    this.pipe.destroy();
  }
}

/** The SubjectPublicKey (the BIT STRING's bytes, RFC 5280 4.1) of a certificate, as MS-CSSP 3.1.5 binds it. */
export function subjectPublicKey(cert: X509Certificate): Buffer {
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
  let at = 0;
  const header = (): number => {
    at++; // tag
    const first = spki[at++]!;
    if (first < 0x80) return first;
    let len = 0;
    for (let i = 0; i < (first & 0x7f); i++) len = len * 256 + spki[at++]!;
    return len;
  };
  header(); // outer SEQUENCE
  const algLen = header();
  at += algLen;
  if (spki[at] !== 0x03) throw new ProtocolError("CredSSP: the host's SubjectPublicKeyInfo has no BIT STRING");
  const bitsLen = header();
  // First content octet is the count of unused bits (0 for a key).
  return Buffer.from(spki.subarray(at + 1, at + bitsLen));
}
