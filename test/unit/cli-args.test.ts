/**
 * `winrm-proxy` flags without a network: the WINRM_* environment defaults, the ticket cache without --username,
 * --connect-attempts and its CLI default, --raw/--argv, per-command help, and library fields mapped back to the flags
 * the user gave (`--ca: is not a PEM certificate`, not `tls.ca`).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseCommandLine, UsageError, wantsJson, type ParsedCommand } from "../../provider/src/cli/args.js";
import { FIELD_FLAGS, flagsInText, messageWithFlags } from "../../provider/src/cli/flagNames.js";
import { connectionFromFlags, describeFailure } from "../../provider/src/cli/main.js";
import { parseConnection } from "../../provider/src/connection.js";
import { ConfigurationError, ConnectionError } from "../../provider/src/errors.js";
import { parserOptions } from "../integration/cliHarness.js";

const ENDPOINT = "https://host.example:5986/wsman";

function conn(parsed: ParsedCommand) {
  assert.ok(parsed.kind === "exec" || parsed.kind === "identify" || parsed.kind === "probe", parsed.kind);
  return parsed.connection;
}

function usage(fn: () => unknown, pattern: RegExp, flag?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, pattern);
    if (flag !== undefined) assert.equal(e.flag, flag);
    return true;
  });
}

describe("WINRM_ENDPOINT, WINRM_USERNAME, WINRM_PASSWORD", () => {
  const env = { WINRM_ENDPOINT: ENDPOINT, WINRM_USERNAME: "CORP\\env-user", WINRM_PASSWORD: "env-pw" };

  test("stand in for --endpoint, --username and --password-env", () => {
    const c = conn(parseCommandLine(["identify"], env));
    assert.equal(c.endpoint, ENDPOINT);
    assert.equal(c.username, "CORP\\env-user");
    assert.equal(c.passwordEnv, "WINRM_PASSWORD");
    const input = connectionFromFlags(c, env);
    assert.equal(input.auth.password, "env-pw");
  });

  test("flags win over the environment", () => {
    const c = conn(
      parseCommandLine(["identify", "--endpoint", "http://other:5985", "--username", "flag-user", "--password-env", "MY_PW"], env),
    );
    assert.deepEqual([c.endpoint, c.username, c.passwordEnv], ["http://other:5985", "flag-user", "MY_PW"]);
    assert.equal(connectionFromFlags(c, { ...env, MY_PW: "flag-pw" }).auth.password, "flag-pw");
  });

  test("without them (and without the flags) the usage error names the flag and the variable", () => {
    usage(() => parseCommandLine(["identify", "--username", "u", "--password-env", "P"], {}), /--endpoint is required.*WINRM_ENDPOINT/, "--endpoint");
    usage(() => parseCommandLine(["identify", "--endpoint", ENDPOINT, "--password-env", "P"], {}), /--username is required.*WINRM_USERNAME/, "--username");
    usage(() => parseCommandLine(["identify", "--endpoint", ENDPOINT, "--username", "u"], {}), /--password-env is required.*WINRM_PASSWORD/, "--password-env");
    // An empty variable counts as unset.
    usage(() => parseCommandLine(["identify", "--username", "u", "--password-env", "P"], { WINRM_ENDPOINT: "" }), /--endpoint is required/);
  });
});

describe("the Kerberos ticket cache needs no --username", () => {
  for (const auth of ["kerberos", "negotiate"]) {
    test(`--auth ${auth} with no password and no user: the connection has no username and no password`, () => {
      const c = conn(parseCommandLine(["exec", "--endpoint", ENDPOINT, "--auth", auth, "--", "hostname"], {}));
      assert.equal(c.username, undefined);
      assert.equal(c.passwordEnv, undefined);
      const input = connectionFromFlags(c, {});
      assert.equal("username" in input.auth, false);
      assert.equal("password" in input.auth, false);
      // The library takes it: the principal comes from the cache (GSS default credentials).
      const parsed = parseConnection(input);
      assert.equal(parsed.auth.username, "");
      assert.equal(parsed.auth.password, "");
    });
  }

  test("a password still needs a user, and the default negotiate still needs a password", () => {
    usage(() => parseCommandLine(["identify", "--endpoint", ENDPOINT, "--auth", "kerberos", "--password-env", "P"], {}), /--username is required/);
    usage(() => parseCommandLine(["identify", "--endpoint", ENDPOINT], {}), /--password-env is required/);
    assert.throws(
      () => parseConnection({ endpoint: ENDPOINT, auth: { mechanism: "kerberos", password: "x" } }),
      (e: unknown) => e instanceof ConfigurationError && e.field === "auth.username",
    );
    assert.throws(
      () => parseConnection({ endpoint: ENDPOINT, auth: { mechanism: "ntlm" } }),
      (e: unknown) => e instanceof ConfigurationError && e.field === "auth.password",
    );
  });
});

describe("--connect-attempts", () => {
  const base = ["identify", "--endpoint", ENDPOINT, "--username", "u", "--password-env", "P"];
  const env = { P: "pw" };

  test("maps to timeouts.connectAttempts; one attempt unless given", () => {
    assert.equal(connectionFromFlags(conn(parseCommandLine(base, env)), env).timeouts?.connectAttempts, 1);
    const ten = connectionFromFlags(conn(parseCommandLine([...base, "--connect-attempts", "10"], env)), env);
    assert.equal(ten.timeouts?.connectAttempts, 10);
    assert.equal(parseConnection(ten).timeouts.connectAttempts, 10, "the connection schema takes it");
  });

  test("outside 1..100 or not a number: a usage error naming the flag", () => {
    for (const bad of ["0", "101", "-1", "ten", "1.5", "9".repeat(30)]) {
      usage(() => parseCommandLine([...base, `--connect-attempts=${bad}`], env), /--connect-attempts must be a whole number from 1 to 100/, "--connect-attempts");
    }
  });
});

describe("exec: how the words after -- are taken", () => {
  const base = ["exec", "--endpoint", ENDPOINT, "--username", "u", "--password-env", "P"];
  const quote = (argv: string[]) => {
    const p = parseCommandLine([...base, ...argv], { P: "x" });
    assert.ok(p.kind === "exec");
    return p.exec.quote;
  };
  test("auto by default, --raw, --argv; not both", () => {
    assert.equal(quote(["--", "hostname"]), "auto");
    assert.equal(quote(["--raw", "--", "echo", "a"]), "raw");
    assert.equal(quote(["--argv", "--", "C:\\a b\\x.exe"]), "argv");
    usage(() => quote(["--raw", "--argv", "--", "x"]), /exclude each other/, "--raw");
  });
  test("an exec flag after -- is part of the command", () => {
    const p = parseCommandLine([...base, "--", "findstr", "--json", "--help"], { P: "x" });
    assert.ok(p.kind === "exec");
    assert.deepEqual(p.exec.command, ["findstr", "--json", "--help"]);
    assert.equal(p.exec.json, false);
    assert.equal(wantsJson([...base, "--", "findstr", "--json"]), false);
    assert.equal(wantsJson([...base, "--json", "--", "x"]), true);
  });
});

describe("help per command", () => {
  test("exec --help, identify -h, probe --help, help exec: that command's help; help alone and --help: the overview", () => {
    assert.deepEqual(parseCommandLine(["exec", "--help"], {}), { kind: "help", command: "exec" });
    assert.deepEqual(parseCommandLine(["identify", "-h"], {}), { kind: "help", command: "identify" });
    assert.deepEqual(parseCommandLine(["probe", "--help"], {}), { kind: "help", command: "probe" });
    assert.deepEqual(parseCommandLine(["help", "exec"], {}), { kind: "help", command: "exec" });
    assert.deepEqual(parseCommandLine(["help"], {}), { kind: "help" });
    assert.deepEqual(parseCommandLine(["--help"], {}), { kind: "help" });
    usage(() => parseCommandLine(["help", "nosuch"], {}), /no help for "nosuch"/);
  });
});

describe("--credssp-allow-unpatched", () => {
  const argv = ["identify", "--endpoint", ENDPOINT, "--username", "u", "--password-env", "PW"];
  const env = { PW: "pw" };
  test("sets auth.credsspAllowUnpatchedHosts with --auth credssp; absent without the flag", () => {
    const on = connectionFromFlags(conn(parseCommandLine([...argv, "--auth", "credssp", "--delegate", "--credssp-allow-unpatched"], env)), env);
    assert.equal(parseConnection(on).auth.credsspAllowUnpatchedHosts, true);
    const off = connectionFromFlags(conn(parseCommandLine([...argv, "--auth", "credssp", "--delegate"], env)), env);
    assert.equal(off.auth.credsspAllowUnpatchedHosts, undefined);
  });

  test("with another mechanism: refused, and the message names the flags", () => {
    const input = connectionFromFlags(conn(parseCommandLine([...argv, "--auth", "ntlm", "--credssp-allow-unpatched"], env)), env);
    assert.throws(() => parseConnection(input), (e: unknown) => {
      assert.ok(e instanceof ConfigurationError, String(e));
      assert.equal(e.field, "auth.credsspAllowUnpatchedHosts");
      assert.match(messageWithFlags(e.message, e.field), /^--credssp-allow-unpatched: applies only to --auth "credssp"/);
      return true;
    });
  });

  test("the unpatched-host refusal names the flag in the CLI's words", () => {
    const text = messageWithFlags("the host speaks CredSSP version 4: ...; update the host, or turn on auth.credsspAllowUnpatchedHosts to accept it anyway", undefined);
    assert.match(text, /turn on --credssp-allow-unpatched to accept it/);
  });
});

describe("library fields named as the flags the user gave", () => {
  test("every field maps to a flag the parser really has", () => {
    const flags = new Set(parserOptions().map((o) => `--${o.long}`));
    for (const [field, flag] of Object.entries(FIELD_FLAGS)) assert.ok(flags.has(flag), `${field} -> ${flag} is not a flag`);
  });

  test("the leading field and the names in the text", () => {
    assert.equal(
      messageWithFlags("tls.ca: is not a PEM certificate; give the CA certificate(s) as one PEM string", "tls.ca"),
      "--ca: is not a PEM certificate; give the CA certificate(s) as one PEM string",
    );
    assert.equal(
      messageWithFlags('messageEncryption: "always" needs a mechanism that can seal messages; use auth.mechanism "negotiate"', "messageEncryption"),
      '--encryption: "always" needs a mechanism that can seal messages; use --auth "negotiate"',
    );
    assert.equal(flagsInText("set tls.serverName to a name in the certificate"), "set --server-name to a name in the certificate");
    assert.equal(flagsInText("remove proxy.tls.ca, or proxy.tls."), "remove --proxy-ca, or --proxy-ca.");
    // Plain words stay; a longer dotted name is not cut.
    assert.equal(flagsInText("an http:// endpoint with proxy auth; winrm/config/service/auth; x.tls.ca; tls.caFile"), "an http:// endpoint with proxy auth; winrm/config/service/auth; x.tls.ca; tls.caFile");
    assert.equal(messageWithFlags("HTTPS_PROXY: carries proxy credentials", "HTTPS_PROXY"), "HTTPS_PROXY: carries proxy credentials");
  });

  test("describeFailure: status and the JSON shape for each kind of failure", () => {
    const cfg = describeFailure(new ConfigurationError("tls.ca", "is not a PEM certificate"));
    assert.deepEqual(cfg, { status: 2, failure: { error: { code: "WINRM_CONFIG", message: "--ca: is not a PEM certificate", flag: "--ca" } } });
    const use = describeFailure(new UsageError("--timeout must be a positive whole number", "--timeout"));
    assert.deepEqual(use, { status: 2, failure: { error: { code: "WINRM_USAGE", message: "--timeout must be a positive whole number", flag: "--timeout" } } });
    const net = describeFailure(new ConnectionError("cannot reach host: ECONNREFUSED"));
    assert.equal(net.status, 255);
    assert.equal(net.failure.error.code, "WINRM_CONNECTION");
  });
});
