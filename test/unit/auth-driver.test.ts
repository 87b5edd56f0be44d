import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AuthDriver, proxySide, targetSide } from "../../provider/src/transport/authDriver.js";
import type { AuthMechanism, StepInput } from "../../provider/src/auth/mechanism.js";
import { AuthenticationError, ProxyAuthenticationError } from "../../provider/src/errors.js";

/** A two-leg mechanism in the shape of NTLM: NEGOTIATE, then AUTHENTICATE from the CHALLENGE; complete after it. */
function twoLeg(opts: { failOnChallenge?: boolean; legs?: number } = {}): AuthMechanism & { seen: (string | undefined)[] } {
  let step = 0;
  const legs = opts.legs ?? 2;
  const seen: (string | undefined)[] = [];
  const mech = {
    name: "ntlm" as const,
    scheme: "Negotiate",
    get complete() {
      return step >= legs;
    },
    get stage() {
      return step === 0 ? "NEGOTIATE" : "AUTHENTICATE";
    },
    canSeal: true,
    seen,
    step(input: StepInput): Promise<Uint8Array | undefined> {
      seen.push(input.token === undefined ? undefined : Buffer.from(input.token).toString());
      if (opts.failOnChallenge === true && input.token !== undefined) return Promise.reject(new Error("bad CHALLENGE"));
      step++;
      return Promise.resolve(Buffer.from(`leg${step}`));
    },
    sealer: () => {
      throw new Error("no sealer");
    },
    fresh: () => twoLeg(opts),
  };
  return mech;
}

const tok = (s: string) => `Negotiate ${Buffer.from(s).toString("base64")}`;

describe("the challenge/response driver on synthetic heads", () => {
  test("401 challenge then 200: two headers, the challenge token reaches the mechanism", async () => {
    const mech = twoLeg();
    const d = new AuthDriver(mech, { side: targetSide(), maxLegs: 8 });
    assert.equal(await d.start(), tok("leg1"));
    assert.deepEqual(await d.onResponse(401, ["Negotiate " + Buffer.from("CHAL").toString("base64"), "Basic realm=x"]), {
      kind: "send",
      header: tok("leg2"),
    });
    assert.deepEqual(await d.onResponse(200, undefined), { kind: "done" });
    assert.deepEqual(mech.seen, [undefined, "CHAL"]);
    assert.equal(d.legs, 2);
  });

  test("the proxy side uses 407 and names the proxy; a 401 is not its challenge", async () => {
    const d = new AuthDriver(twoLeg(), { side: proxySide("p.example:3128"), maxLegs: 4, requireComplete: false });
    await d.start();
    await assert.rejects(d.onResponse(401, tok("CHAL")), /transport's to handle/);
    const next = await d.onResponse(407, tok("CHAL"));
    assert.equal(next.kind, "send");
    await assert.rejects(d.onResponse(407, "Negotiate"), (e: unknown) => {
      assert.ok(e instanceof ProxyAuthenticationError);
      assert.equal(e.code, "WINRM_PROXY_AUTH_FAILED");
      assert.match(e.message, /the proxy p\.example:3128 rejected the credentials \(HTTP 407 to our final Negotiate token\)/);
      assert.equal(e.stage, "AUTHENTICATE");
      return true;
    });
  });

  test("rejection: a challenge to our final token, and one without a token for our scheme", async () => {
    const done = new AuthDriver(twoLeg({ legs: 1 }), { side: targetSide(), maxLegs: 8 });
    await done.start();
    await assert.rejects(done.onResponse(401, tok("again")), (e: unknown) => e instanceof AuthenticationError && e.httpStatus === 401);
    const bare = new AuthDriver(twoLeg(), {
      side: targetSide(),
      maxLegs: 8,
      rejection: (_m, ours) => ({ stage: "S", message: ours ? "offers ours bare" : "does not offer ours" }),
    });
    await bare.start();
    await assert.rejects(bare.onResponse(401, "Negotiate"), /at S: offers ours bare/);
    const other = new AuthDriver(twoLeg(), { side: targetSide(), maxLegs: 8, rejection: (_m, ours) => ({ stage: "S", message: String(ours) }) });
    await other.start();
    await assert.rejects(other.onResponse(401, "Kerberos abc="), /at S: false/);
  });

  test("never a loop: the leg limit stops a peer that challenges forever", async () => {
    const d = new AuthDriver(twoLeg({ legs: 100 }), { side: targetSide(), maxLegs: 3 });
    await d.start();
    await d.onResponse(401, tok("c1"));
    await d.onResponse(401, tok("c2"));
    await assert.rejects(d.onResponse(401, tok("c3")), /no result after 3 legs; giving up rather than loop/);
  });

  test("a 2xx before the mechanism completed is refused on the host side, accepted on the proxy's", async () => {
    const host = new AuthDriver(twoLeg(), { side: targetSide(), maxLegs: 8 });
    await host.start();
    await assert.rejects(host.onResponse(200, undefined), /the server accepted before the handshake completed/);
    const proxy = new AuthDriver(twoLeg(), { side: proxySide("p:1"), maxLegs: 8, requireComplete: false });
    await proxy.start();
    assert.deepEqual(await proxy.onResponse(200, undefined), { kind: "done" });
  });

  test("a mechanism with nothing to send but not complete is an error", async () => {
    const mech = twoLeg();
    const d = new AuthDriver(mech, { side: targetSide(), maxLegs: 8 });
    assert.throws(() => d.header(undefined), /has no token to send but is not complete/);
  });

  test("the mechanism's failures become the side's error, without the token", async () => {
    const host = new AuthDriver(twoLeg({ failOnChallenge: true }), { side: targetSide(), maxLegs: 8 });
    await host.start();
    await assert.rejects(host.onResponse(401, tok("SECRET-TOKEN")), (e: unknown) => {
      assert.ok(e instanceof AuthenticationError);
      assert.match(e.message, /could not process the server's token/);
      assert.doesNotMatch(e.message, /SECRET/);
      return true;
    });
    const proxy = new AuthDriver(twoLeg({ failOnChallenge: true }), { side: proxySide("p:1"), maxLegs: 8 });
    await proxy.start();
    await assert.rejects(proxy.onResponse(407, tok("SECRET-TOKEN")), (e: unknown) => {
      assert.ok(e instanceof ProxyAuthenticationError);
      assert.match(e.message, /could not process the proxy's challenge: bad CHALLENGE/);
      return true;
    });
  });

  test("replace() moves to another scheme and keeps counting legs", async () => {
    const d = new AuthDriver(twoLeg(), { side: targetSide(), maxLegs: 2 });
    await d.start();
    d.replace(twoLeg());
    await d.start();
    await assert.rejects(d.onResponse(401, tok("c")), /no result after 2 legs/);
  });
});
