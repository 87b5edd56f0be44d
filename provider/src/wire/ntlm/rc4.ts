/**
 * RC4, needed for KEY_EXCH (MS-NLMP 3.1.5.1.2 RC4K) and for sealing (MS-NLMP 3.4.3). Node 20's OpenSSL 3 refuses
 * "rc4" without --openssl-legacy-provider, so we carry our own. One instance is one keystream: NTLM sealing keeps a
 * single handle per direction for the whole context (MS-NLMP 3.4.4.2), so `update` continues where the last call ended.
 */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0) throw new RangeError("RC4 key must not be empty");
    const s = this.s;
    for (let n = 0; n < 256; n++) s[n] = n;
    let j = 0;
    for (let n = 0; n < 256; n++) {
      const sn = s[n] as number;
      j = (j + sn + (key[n % key.length] as number)) & 0xff;
      s[n] = s[j] as number;
      s[j] = sn;
    }
  }

  /**
   * XOR `data` with the next bytes of the keystream into `out` (a new buffer by default). `out` may be `data` itself
   * (in place: each byte is read before it is written) or any buffer at least as long.
   */
  update(data: Uint8Array, out: Uint8Array = Buffer.allocUnsafe(data.length)): Buffer {
    if (out.length < data.length) throw new RangeError("RC4 output buffer is shorter than the input");
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      const si = s[i] as number;
      j = (j + si) & 0xff;
      const sj = s[j] as number;
      s[i] = sj;
      s[j] = si;
      out[n] = (data[n] as number) ^ (s[(si + sj) & 0xff] as number);
    }
    this.i = i;
    this.j = j;
    return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }
}

/** One-shot RC4 with a fresh key (MS-NLMP RC4K). */
export function rc4k(key: Uint8Array, data: Uint8Array): Buffer {
  return new Rc4(key).update(data);
}
