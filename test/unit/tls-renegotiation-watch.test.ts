/** transport/tls.ts HostRenegotiationWatch: how many renegotiations, and the certificate they present. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { HostRenegotiationWatch, MAX_HOST_RENEGOTIATIONS } from "../../provider/src/transport/tls.js";
import { ProtocolError } from "../../provider/src/errors.js";

const TLS12 = Buffer.from("CLIENT_RANDOM 00112233 44556677\n", "latin1");
const TLS13 = Buffer.from("CLIENT_TRAFFIC_SECRET_0 00112233 44556677\n", "latin1");

test("the same certificate passes, up to the limit; one more is refused", () => {
  const w = new HostRenegotiationWatch("AA:BB");
  for (let i = 0; i < MAX_HOST_RENEGOTIATIONS; i++) assert.equal(w.onKeylog(TLS12, () => "AA:BB"), undefined, `renegotiation ${i + 1}`);
  const e = w.onKeylog(TLS12, () => "AA:BB");
  assert.ok(e instanceof ProtocolError && /more than 4 times/.test(e.message), String(e));
});

test("another certificate in a renegotiation is refused, naming both fingerprints", () => {
  const w = new HostRenegotiationWatch("AA:BB");
  const e = w.onKeylog(TLS12, () => "CC:DD");
  assert.ok(e instanceof ProtocolError, String(e));
  assert.match(e.message, /AA:BB, then CC:DD/);
  assert.ok(new HostRenegotiationWatch("AA:BB").onKeylog(TLS12, () => undefined) instanceof ProtocolError, "no certificate");
});

test("TLS 1.3 key-schedule lines are not renegotiations", () => {
  const w = new HostRenegotiationWatch("AA:BB");
  for (let i = 0; i < 20; i++) assert.equal(w.onKeylog(TLS13, () => "CC:DD"), undefined);
});
