import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeConnectReply,
  decodeMethodChoice,
  decodeUserPassReply,
  encodeConnect,
  encodeGreeting,
  encodeUserPass,
  ipv6Bytes,
  Socks5ReplyError,
  SOCKS5_REPLY_TEXT,
} from "../../provider/src/wire/socks5.js";
import { ConfigurationError, ProxyAuthenticationError, ProxyError } from "../../provider/src/errors.js";

const hex = (u: Uint8Array) => Buffer.from(u).toString("hex");
const P = "socks.example:1080";

describe("SOCKS5 greeting and method choice (RFC 1928 3)", () => {
  test("offers exactly one method", () => {
    assert.equal(hex(encodeGreeting(false)), "050100");
    assert.equal(hex(encodeGreeting(true)), "050102");
  });
  test("method choice: incomplete, chosen, refused, not SOCKS5", () => {
    assert.equal(decodeMethodChoice(Uint8Array.of(5), P, 2), undefined);
    assert.deepEqual(decodeMethodChoice(Uint8Array.of(5, 2, 9), P, 2), { value: 2, consumed: 2 });
    assert.throws(() => decodeMethodChoice(Uint8Array.of(5, 0xff), P, 2), (e: unknown) => {
      assert.ok(e instanceof ProxyAuthenticationError);
      assert.match(e.message, /socks\.example:1080 does not accept username\/password/);
      return true;
    });
    assert.throws(() => decodeMethodChoice(Uint8Array.of(5, 2), P, 0), /requires authentication.*proxy\.username/);
    assert.throws(() => decodeMethodChoice(Buffer.from("HTTP/1.1 400"), P, 0), /did not answer as a SOCKS5 server \(version octet 72\)/);
  });
});

describe("username/password (RFC 1929)", () => {
  test("request bytes", () => {
    assert.equal(hex(encodeUserPass("bob", "pw")), "0103626f62" + "02" + "7077");
  });
  test("field lengths 1..255 octets, named by field", () => {
    assert.throws(() => encodeUserPass("", "pw"), (e: unknown) => e instanceof ConfigurationError && e.field === "proxy.username");
    assert.throws(() => encodeUserPass("u", "x".repeat(256)), (e: unknown) => e instanceof ConfigurationError && e.field === "proxy.password");
    assert.equal(encodeUserPass("u".repeat(255), "p".repeat(255)).length, 3 + 510);
  });
  test("reply: success, rejection without the secret, malformed", () => {
    assert.equal(decodeUserPassReply(Uint8Array.of(1), P), undefined);
    assert.deepEqual(decodeUserPassReply(Uint8Array.of(1, 0), P), { value: true, consumed: 2 });
    assert.throws(() => decodeUserPassReply(Uint8Array.of(1, 1), P), (e: unknown) => {
      assert.ok(e instanceof ProxyAuthenticationError);
      assert.equal(e.code, "WINRM_PROXY_AUTH_FAILED");
      assert.match(e.message, /socks\.example:1080 rejected the credentials \(status 1\)/);
      return true;
    });
    assert.throws(() => decodeUserPassReply(Uint8Array.of(5, 0), P), ProxyError);
  });
});

describe("CONNECT request (RFC 1928 4-5)", () => {
  test("IPv4", () => assert.equal(hex(encodeConnect("10.1.2.3", 5985)), "05010001" + "0a010203" + "1761"));
  test("IPv6, bracketed or not, :: and embedded IPv4", () => {
    assert.equal(hex(encodeConnect("[::1]", 5986)), "05010004" + "00".repeat(15) + "01" + "1762");
    assert.equal(hex(encodeConnect("2001:db8::1", 80)), "05010004" + "20010db8" + "00".repeat(11) + "01" + "0050");
    assert.equal(hex(ipv6Bytes("::ffff:192.0.2.1")), "00".repeat(10) + "ffff" + "c0000201");
    assert.equal(hex(ipv6Bytes("fe80:1:2:3:4:5:6:7")), "fe80000100020003000400050006" + "0007");
  });
  test("domain name (socks5h://: the proxy resolves it)", () => {
    assert.equal(hex(encodeConnect("win01.corp", 5985)), "05010003" + "0a" + Buffer.from("win01.corp").toString("hex") + "1761");
    assert.throws(() => encodeConnect("a".repeat(256), 1), RangeError);
    assert.throws(() => encodeConnect("h", 0), RangeError);
  });
});

describe("CONNECT reply (RFC 1928 6)", () => {
  const T = "win01:5985";
  test("success with each address type, fed incrementally", () => {
    const vectors: [string, { host: string; port: number }][] = [
      ["050000017f00000104d2", { host: "127.0.0.1", port: 1234 }],
      ["05000004" + "00".repeat(15) + "01" + "0050", { host: "0:0:0:0:0:0:0:1", port: 80 }],
      ["0500000304" + Buffer.from("host").toString("hex") + "0016", { host: "host", port: 22 }],
    ];
    for (const [h, bound] of vectors) {
      const bytes = Buffer.concat([Buffer.from(h, "hex"), Buffer.from("tunnel")]);
      const full = Buffer.from(h, "hex").length;
      for (let n = 0; n < full; n++) assert.equal(decodeConnectReply(bytes.subarray(0, n), P, T), undefined, `${h} at ${n}`);
      assert.deepEqual(decodeConnectReply(bytes, P, T), { value: bound, consumed: full });
    }
  });
  test("every reply code is a named error with the proxy and the code", () => {
    for (let rep = 1; rep <= 9; rep++) {
      assert.throws(() => decodeConnectReply(Uint8Array.of(5, rep), P, T), (e: unknown) => {
        assert.ok(e instanceof Socks5ReplyError);
        assert.equal(e.reply, rep);
        assert.equal(e.code, "WINRM_PROXY");
        assert.ok(e.message.includes(`the SOCKS5 proxy ${P} refused CONNECT ${T}: reply ${rep} (`));
        assert.ok(e.message.includes(SOCKS5_REPLY_TEXT[rep] ?? "unassigned reply code"));
        return true;
      });
    }
  });
  test("hostile: not SOCKS5, unknown address type", () => {
    assert.throws(() => decodeConnectReply(Uint8Array.of(4, 0x5a), P, T), /did not answer CONNECT as a SOCKS5 server/);
    assert.throws(() => decodeConnectReply(Uint8Array.of(5, 0, 0, 9, 0, 0), P, T), /unknown address type 9/);
  });
});
