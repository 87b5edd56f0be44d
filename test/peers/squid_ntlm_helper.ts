/**
 * A squid NTLM authentication helper that really verifies: squid's stateful NTLM helper protocol on stdin/stdout
 * (squid.conf.documented "auth_param ntlm": `YR <NEGOTIATE b64>` -> `TT <CHALLENGE b64>`; `KK <AUTHENTICATE b64>` ->
 * `AF <user>` or `NA <reason>`; `BH <reason>` when broken) in front of the emulator's NTLMv2 acceptor
 * (provider/src/auth/ntlmAcceptor.ts), with a CHALLENGE that carries TargetInfo as Windows sends it.
 *
 * Debian's ntlm_fake_auth answers with a CHALLENGE without TargetInfo (NTLMv1 style) and a garbage TargetName offset,
 * and accepts any password; this helper lets a test prove proxy NTLM end to end, wrong passwords included.
 *
 * usage (squid runs it): node squid_ntlm_helper.js USERS_JSON   where USERS_JSON = [{domain,user,password}, ...]
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

import { NtlmAcceptor, type NtlmAcceptorUser } from "../../provider/src/testing/index.js";

const usersFile = process.argv[2];
if (usersFile === undefined) {
  process.stderr.write("usage: squid_ntlm_helper.js USERS_JSON\n");
  process.exit(2);
}
const users = JSON.parse(readFileSync(usersFile, "utf8")) as NtlmAcceptorUser[];

function newAcceptor(): NtlmAcceptor {
  return new NtlmAcceptor({
    users,
    netbiosDomain: "PROXYDOM",
    netbiosComputer: "SQUID",
    dnsComputer: "squid.proxydom.test",
    dnsDomain: "proxydom.test",
  });
}

let acceptor = newAcceptor();
const rl = createInterface({ input: process.stdin, terminal: false });
rl.on("line", (line) => {
  const [cmd = "", blob = ""] = line.trim().split(/\s+/);
  try {
    if (cmd === "YR") {
      acceptor = newAcceptor(); // a NEGOTIATE starts a new context
      const r = acceptor.step(Buffer.from(blob, "base64"));
      process.stdout.write(`TT ${r.token?.toString("base64") ?? ""}\n`);
    } else if (cmd === "KK") {
      const r = acceptor.step(Buffer.from(blob, "base64"));
      if (r.complete && r.user !== undefined) process.stdout.write(`AF ${r.user}\n`);
      else process.stdout.write("NA incomplete\n");
      acceptor = newAcceptor();
    } else {
      process.stdout.write(`BH unknown request ${cmd}\n`);
    }
  } catch (e) {
    acceptor = newAcceptor();
    // The acceptor's messages never contain the password.
    const reason = (e instanceof Error ? e.message : "failed").replace(/\s+/g, " ");
    process.stdout.write(`NA ${reason}\n`);
  }
});
