/**
 * MD4 (RFC 1320), needed for NTOWFv1 (MS-NLMP 3.3.1). Node 20 ships OpenSSL 3, whose default provider refuses "md4"
 * unless the process runs with --openssl-legacy-provider; we never require that flag, so we carry our own.
 */

function rotl(x: number, n: number): number {
  return ((x << n) | (x >>> (32 - n))) >>> 0;
}

/** MD4 digest (16 bytes) of `data`. */
export function md4(data: Uint8Array): Buffer {
  const bitLen = data.length * 8;
  // Padding: 0x80, zeros up to 56 mod 64, then the bit length as LE64 (RFC 1320 3.1-3.2).
  const padded = Buffer.alloc(((data.length + 8) >> 6) * 64 + 64);
  padded.set(data, 0);
  padded[data.length] = 0x80;
  padded.writeUInt32LE(bitLen >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(bitLen / 0x100000000) >>> 0, padded.length - 4);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Array<number>(16);

  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(off + i * 4);
    const aa = a, bb = b, cc = c, dd = d;
    const X = (i: number): number => x[i] ?? 0;

    // Round 1: F(x,y,z) = (x & y) | (~x & z)
    const r1 = (p: number, q: number, r: number, s: number, k: number, sh: number): number =>
      rotl((p + ((q & r) | (~q & s)) + X(k)) >>> 0, sh);
    for (const k of [0, 4, 8, 12]) {
      a = r1(a, b, c, d, k, 3);
      d = r1(d, a, b, c, k + 1, 7);
      c = r1(c, d, a, b, k + 2, 11);
      b = r1(b, c, d, a, k + 3, 19);
    }
    // Round 2: G(x,y,z) = (x & y) | (x & z) | (y & z), constant 0x5a827999
    const r2 = (p: number, q: number, r: number, s: number, k: number, sh: number): number =>
      rotl((p + ((q & r) | (q & s) | (r & s)) + X(k) + 0x5a827999) >>> 0, sh);
    for (const k of [0, 1, 2, 3]) {
      a = r2(a, b, c, d, k, 3);
      d = r2(d, a, b, c, k + 4, 5);
      c = r2(c, d, a, b, k + 8, 9);
      b = r2(b, c, d, a, k + 12, 13);
    }
    // Round 3: H(x,y,z) = x ^ y ^ z, constant 0x6ed9eba1
    const r3 = (p: number, q: number, r: number, s: number, k: number, sh: number): number =>
      rotl((p + (q ^ r ^ s) + X(k) + 0x6ed9eba1) >>> 0, sh);
    for (const k of [0, 2, 1, 3]) {
      a = r3(a, b, c, d, k, 3);
      d = r3(d, a, b, c, k + 8, 9);
      c = r3(c, d, a, b, k + 4, 11);
      b = r3(b, c, d, a, k + 12, 15);
    }

    a = (a + aa) >>> 0;
    b = (b + bb) >>> 0;
    c = (c + cc) >>> 0;
    d = (d + dd) >>> 0;
  }

  const out = Buffer.alloc(16);
  out.writeUInt32LE(a, 0);
  out.writeUInt32LE(b, 4);
  out.writeUInt32LE(c, 8);
  out.writeUInt32LE(d, 12);
  return out;
}
