import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseChallenges } from "../../provider/src/transport/session.js";
import { decodeOutput, encodeInput, honoursUtf8CodePage, parseChcp, streamDecoder } from "../../provider/src/shell/codePage.js";
import { cleanPowerShellStderr, powershellCommandLine } from "../../provider/src/shell/powershell.js";
import { createMechanism } from "../../provider/src/auth/index.js";
import { ConfigurationError } from "../../provider/src/errors.js";
import { parseConnection } from "../../provider/src/connection.js";
import { checkPolicy } from "../../provider/src/transport/policy.js";

describe("WWW-Authenticate parsing", () => {
  test("one header per scheme, as http.sys writes them", () => {
    assert.deepEqual(parseChallenges(["Negotiate", 'Basic realm="WSMAN"']), [
      { scheme: "Negotiate", rest: "" },
      { scheme: "Basic", rest: 'realm="WSMAN"' },
    ]);
  });
  test("joined with commas, params continue the previous challenge, token68 kept", () => {
    assert.deepEqual(parseChallenges('Negotiate TlRMTVNTUAACAAAA==, Basic realm="WSMAN", charset="UTF-8", CredSSP'), [
      { scheme: "Negotiate", rest: "TlRMTVNTUAACAAAA==" },
      { scheme: "Basic", rest: 'realm="WSMAN", charset="UTF-8"' },
      { scheme: "CredSSP", rest: "" },
    ]);
    assert.deepEqual(parseChallenges(undefined), []);
  });
});

describe("code pages", () => {
  test("chcp output parsed by shape, in any language", () => {
    assert.equal(parseChcp("Active code page: 437\r\n"), 437);
    assert.equal(parseChcp("Página de códigos activa: 850\r\n"), 850);
    assert.equal(parseChcp("Tabella codici attiva: 850\r\n"), 850);
    assert.equal(parseChcp("Aktive Codepage: 65001.\r\n"), 65001);
    assert.equal(parseChcp("no number here"), undefined);
  });
  test("OEM and UTF-8 decoding; a character split across chunks decodes whole", () => {
    assert.equal(decodeOutput(Buffer.from([0x41, 0xa4, 0x6f]), 850), "Año");
    assert.equal(decodeOutput(Buffer.from([0x82]), 437), "é");
    assert.deepEqual(encodeInput("ñ", 850), Buffer.from([0xa4]));
    const d = streamDecoder(65001);
    const bytes = Buffer.from("é", "utf8");
    assert.equal(d.write(bytes.subarray(0, 1)) + d.write(bytes.subarray(1)) + d.end(), "é");
  });
  test("NT 6+ honours 65001, NT 5.x does not", () => {
    assert.equal(honoursUtf8CodePage("5.2.3790"), false);
    assert.equal(honoursUtf8CodePage("6.0.6001"), true);
    assert.equal(honoursUtf8CodePage("10.0.17763"), true);
  });
});

describe("powershell", () => {
  test("-EncodedCommand is base64 of UTF-16LE", () => {
    const line = powershellCommandLine("Write-Output 'ü'");
    assert.equal(line.command, "powershell");
    assert.deepEqual(line.args.slice(0, 3), ["-NoProfile", "-NonInteractive", "-EncodedCommand"]);
    assert.equal(Buffer.from(line.args[3] ?? "", "base64").toString("utf16le"), "Write-Output 'ü'");
  });
  test("CLIXML error stream becomes text; progress dropped; plain stderr untouched", () => {
    const clixml =
      '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">' +
      '<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T></TN></Obj>' +
      '<S S="Error">bad &lt;thing&gt;_x000D__x000A_</S><S S="Error">second_x000D__x000A_</S></Objs>';
    assert.equal(cleanPowerShellStderr(clixml), "bad <thing>\r\nsecond\r\n");
    assert.equal(cleanPowerShellStderr("plain error\r\n"), "plain error\r\n");
  });
});

describe("createMechanism", () => {
  test("ntlm: NTLM under the Negotiate scheme; negotiate: Kerberos-first, NTLM directly for an IP address", () => {
    const n = createMechanism({ mechanism: "ntlm", username: "EX\\a", password: "p" }, "http://h:5985/wsman");
    assert.equal(n.scheme, "Negotiate");
    assert.equal(n.name, "ntlm");
    assert.equal(n.canSeal, true);
    const byName = createMechanism({ mechanism: "negotiate", username: "EX\\a", password: "p" }, "http://h:5985/wsman");
    assert.equal(byName.scheme, "Negotiate");
    assert.equal(byName.name, "negotiate", "decided at the first step: Kerberos if a ticket can be had, else NTLM");
    assert.equal(byName.canSeal, true);
    assert.equal(createMechanism({ mechanism: "basic", username: "a", password: "p" }, "https://h/wsman").canSeal, false);
  });
  test("kerberos: the Kerberos scheme; credssp: only with auth.delegate, sealed over http; negotiate without password needs Kerberos", () => {
    const k = createMechanism({ mechanism: "kerberos", username: "a", password: "p" }, "http://h/wsman");
    assert.equal(k.scheme, "Kerberos");
    assert.equal(k.name, "kerberos");
    assert.throws(
      // The credssp rules are checked with the connection (connection.ts, transport/policy.ts), before any mechanism.
      () => checkPolicy(parseConnection({ endpoint: "http://h/wsman", auth: { mechanism: "credssp", username: "a", password: "p" } })),
      (e: unknown) => e instanceof ConfigurationError && e.field === "auth.delegate",
    );
    // Over http:// CredSSP seals with its TLS session (MS-WSMV 2.2.9.1.3).
    assert.equal(
      checkPolicy(parseConnection({ endpoint: "http://h/wsman", auth: { mechanism: "credssp", username: "a", password: "p", delegate: true } })).encrypt,
      true,
    );
    const c = createMechanism({ mechanism: "credssp", username: "a", password: "p", delegate: true }, "https://h/wsman");
    assert.equal(c.scheme, "CredSSP");
    c.dispose?.();
    assert.throws(
      () => createMechanism({ mechanism: "negotiate", username: "a", password: "" }, "http://10.0.0.5/wsman"),
      (e: unknown) => e instanceof ConfigurationError && e.field === "auth.password",
    );
  });
});
