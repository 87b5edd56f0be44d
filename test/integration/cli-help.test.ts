/**
 * `winrm-proxy --help` (and `-h`, `help`) documents every flag the parser accepts; each command has its own help
 * (`exec --help`, `help exec`, `identify -h`, `probe --help`) with its usage and only the flags it takes.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { HELP } from "../../provider/src/cli/args.js";
import { COMMAND_HELP } from "../../provider/src/cli/help.js";
import { parserOptions, runCli } from "./cliHarness.js";

void describe("winrm-proxy --help", () => {
  void test("exits 0 and documents every flag the parser accepts", async () => {
    const options = parserOptions();
    // Sanity: the extraction found the tables (a parser rewrite must update this helper, not silently pass).
    for (const known of ["endpoint", "password-env", "shell", "stdin", "json"]) {
      assert.ok(options.some((o) => o.long === known), `parserOptions() lost --${known}`);
    }
    for (const argv of [["--help"], ["-h"], ["help"]]) {
      const r = await runCli(argv);
      assert.equal(r.status, 0, `${argv.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, HELP);
    }
    const missing = options.filter((o) => !new RegExp(`(^|[\\s|])--${o.long}\\b`, "m").test(HELP)).map((o) => `--${o.long}`);
    assert.deepEqual(missing, [], "flags accepted by args.ts but not in --help");
  });

  void test("each command has its own help: exec --help, identify -h, probe --help, help exec", async () => {
    for (const [argv, command] of [
      [["exec", "--help"], "exec"],
      [["help", "exec"], "exec"],
      [["identify", "-h"], "identify"],
      [["help", "identify"], "identify"],
      [["probe", "--help"], "probe"],
      [["help", "probe"], "probe"],
      [["cp", "--help"], "cp"],
      [["help", "cp"], "cp"],
    ] as const) {
      const r = await runCli(argv);
      assert.equal(r.status, 0, `${argv.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, COMMAND_HELP[command]);
      assert.ok(r.stdout.startsWith(`winrm-proxy ${command}: `), r.stdout.slice(0, 80));
      assert.ok(r.stdout.includes(`winrm-proxy ${command} [connection flags]`));
    }
    // exec's help has the exec flags and the quoting rule; identify's has neither.
    const documents = (text: string, flag: string) => text.split("\n").some((line) => line.trimStart().startsWith(`${flag} `));
    for (const flag of ["--shell", "--stdin", "--raw", "--argv", "--timeout"]) {
      assert.ok(documents(COMMAND_HELP.exec, flag), `exec help lacks ${flag}`);
      assert.ok(!documents(COMMAND_HELP.identify, flag), `identify help has ${flag}`);
      assert.ok(!documents(COMMAND_HELP.probe, flag), `probe help has ${flag}`);
    }
    const unknown = await runCli(["help", "nosuch"]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no help for "nosuch"/);
  });
});
