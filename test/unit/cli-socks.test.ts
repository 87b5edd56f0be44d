/** `--proxy socks5://` and `socks5h://` from the command line to the connection and its transport plan. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCommandLine } from "../../provider/src/cli/args.js";
import { connectionFromFlags } from "../../provider/src/cli/main.js";
import { parseConnection } from "../../provider/src/connection.js";
import { checkPolicy } from "../../provider/src/transport/policy.js";
import { InsecureProxyPathError } from "../../provider/src/errors.js";

const ENV = { WINRM_PASSWORD: "pw", SOCKS_PW: "socks-secret" };
const plan = (argv: string[]) => {
  const parsed = parseCommandLine(argv, ENV);
  if (parsed.kind !== "exec") throw new Error(`parsed as ${parsed.kind}`);
  return checkPolicy(parseConnection(connectionFromFlags(parsed.connection, ENV)), { env: {} });
};
const base = ["exec", "--username", "CORP\\alice", "--password-env", "WINRM_PASSWORD"];

test("--proxy socks5h:// reaches the plan as a SOCKS proxy; credentials with https://", () => {
  const p = plan([...base, "--endpoint", "https://win01:5986/wsman", "--proxy", "socks5h://127.0.0.1:1080", "--proxy-auth", "basic", "--proxy-username", "bob", "--proxy-password-env", "SOCKS_PW", "--", "hostname"]);
  assert.equal(p.proxy?.url.protocol, "socks5h:");
  assert.equal(p.proxy?.credentials?.username, "bob");
});

test("--proxy socks5:// with an http:// endpoint: allowed without credentials, refused with them", () => {
  const p = plan([...base, "--endpoint", "http://win01:5985/wsman", "--proxy", "socks5://127.0.0.1:1080", "--", "hostname"]);
  assert.equal(p.proxy?.url.protocol, "socks5:");
  assert.equal(p.encrypt, true);
  assert.throws(
    () => plan([...base, "--endpoint", "http://win01:5985/wsman", "--proxy", "socks5://127.0.0.1:1080", "--proxy-auth", "basic", "--proxy-username", "bob", "--proxy-password-env", "SOCKS_PW", "--", "hostname"]),
    (e: unknown) => e instanceof InsecureProxyPathError && !e.message.includes("socks-secret"),
  );
});
