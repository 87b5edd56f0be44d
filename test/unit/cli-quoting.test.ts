/**
 * The words after `winrm-proxy exec --` as a command line: quoted for cmd.exe and the C runtime (quoting.ts), they
 * reach the program as exactly those words. Checked through the emulated host's cmd interpreter (cmd /c's quote rule,
 * %VAR% expansion, operators, redirections, ^ escapes, then CommandLineToArgvW), on hand-picked words and on 2,000
 * seeded random ones; and the PowerShell quoting, and the emulator's cmd /c quote rule itself (`cmd /?`).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  commandLineFor,
  quoteCmdArgs,
  quoteCmdWord,
  quoteForCRuntime,
  quotePowerShellArgs,
  quotePowerShellWord,
} from "../../provider/src/cli/quoting.js";
import { UsageError } from "../../provider/src/cli/usageError.js";
import { programArgv, slashCLine } from "../../provider/src/testing/host/cmd.js";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import { Env, type ProcState } from "../../provider/src/testing/host/process.js";
import { splitArgs } from "../../provider/src/testing/host/process.js";

const host = new EmulatedHost({ profile: "win2019", locale: "en-US", computerName: "QUOTEHOST" });

/** A fresh process state with the host's environment plus variables whose expansion a test would notice. */
function proc(): ProcState {
  const env = new Env({ ...host.defaultEnv(), X: "EXPANDED", "A B": "SPACEY" });
  return { host, strings: host.strings, env, cwd: "C:\\", codePage: 65001, errorLevel: 0, exited: false };
}

/** What `netsh` (an external program) receives when the words are quoted and run through cmd. */
function received(args: readonly string[]): string[] | undefined {
  return programArgv(quoteCmdArgs(["netsh", ...args]), proc())?.slice(1);
}

const NASTY = [
  "<local>",
  "a b",
  "",
  "a&b",
  "a|b",
  "a>b",
  "2>nul",
  "(x)",
  "^",
  "a^b",
  "%X%",
  "%PATH%",
  "100%",
  "%A B%",
  "%",
  "%%X%%",
  'say "hi"',
  '"',
  '""',
  'a\\"b',
  "C:\\Program Files\\",
  "C:\\dir\\",
  "\\\\server\\share",
  "trailing\\\\",
  '\\"',
  "tab\there",
  "&&",
  "||",
  "a & echo INJECTED",
  '" & echo INJECTED & "',
  "!X!",
  "proxy-server=\"http=p:80\"",
  "*.corp.example;<local>",
  "é ü 漢字",
];

describe("cmd quoting: every word reaches the program as typed", () => {
  test("the examples of the README", () => {
    assert.equal(quoteCmdArgs(["netsh", "winhttp", "set", "proxy", "p:80", "<local>"]), 'netsh winhttp set proxy p:80 "<local>"');
    assert.equal(quoteCmdArgs(["findstr", "a b"]), 'findstr "a b"');
    assert.equal(quoteCmdArgs(["findstr", 'say "hi"']), 'findstr ^"say \\^"hi\\^"^"');
    assert.equal(quoteCmdArgs(["findstr", "%PATH%"]), 'findstr ^"^%PATH^%^"');
    assert.equal(quoteCmdArgs(["C:\\Program Files\\app.exe", "x"]), '^"C:\\Program Files\\app.exe^" x');
    assert.equal(quoteCmdWord("C:\\dir\\"), "C:\\dir\\", "no special character: as it is");
    assert.equal(quoteCmdWord("C:\\my dir\\"), '"C:\\my dir\\\\"', "a backslash before the closing quote is doubled");
    assert.equal(quoteCmdWord(""), '""');
  });

  test("the C runtime quoting alone round-trips through CommandLineToArgvW", () => {
    for (const w of NASTY) assert.deepEqual(splitArgs(quoteForCRuntime(w)), [w], JSON.stringify(w));
  });

  test("hand-picked words: one simple command (no operator or redirection), the words unchanged, nothing expanded", () => {
    for (const w of NASTY) assert.deepEqual(received([w]), [w], JSON.stringify(w));
    assert.deepEqual(received(NASTY), NASTY, "all in one line");
  });

  test("a quoted program name (blanks, operators) is found, and the line never starts with a quote cmd /c would strip", () => {
    const line = quoteCmdArgs(["C:\\Windows\\System32\\netsh.exe", "winhttp", "show", "proxy"]);
    assert.ok(!line.startsWith('"'));
    assert.deepEqual(programArgv(line, proc()), ["C:\\Windows\\System32\\netsh.exe", "winhttp", "show", "proxy"]);
    const spaced = quoteCmdArgs(["C:\\Program Files\\Tool\\tool.exe", "a&b"]);
    assert.deepEqual(programArgv(spaced, proc()), ["C:\\Program Files\\Tool\\tool.exe", "a&b"]);
  });

  test("2,000 seeded random words over cmd's and the C runtime's special characters", () => {
    const alphabet = ['"', "\\", " ", "\t", "&", "|", "<", ">", "^", "(", ")", "%", "!", "X", "a", "=", ";", ",", "@", "1", "2", "é"];
    let seed = 0x5eed;
    const next = (n: number): number => {
      // xorshift32: a fixed sequence, so a failure names a word that can be replayed.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    for (let k = 0; k < 2000; k++) {
      const words: string[] = [];
      const count = 1 + next(3);
      for (let j = 0; j < count; j++) {
        let w = "";
        const len = next(9);
        for (let i = 0; i < len; i++) w += alphabet[next(alphabet.length)];
        words.push(w);
      }
      assert.deepEqual(received(words), words, JSON.stringify(words));
    }
  });

  test("a line break cannot be passed to cmd: refused as a usage error", () => {
    assert.throws(() => quoteCmdArgs(["findstr", "a\r\nb"]), (e: unknown) => e instanceof UsageError && /line break/.test(e.message));
    assert.throws(() => quoteCmdArgs(["x", "a\nb"]), UsageError);
  });
});

describe("how the words after -- become the command line", () => {
  test("one word is a command line of its own (verbatim); several are quoted; --raw and --argv force either", () => {
    assert.equal(commandLineFor(["echo a & echo b"], "cmd"), "echo a & echo b");
    assert.equal(commandLineFor(["netsh", "winhttp", "set", "proxy", "p:80", "<local>"], "cmd"), 'netsh winhttp set proxy p:80 "<local>"');
    assert.equal(commandLineFor(["echo", "a", "&", "echo", "b"], "cmd", "raw"), "echo a & echo b");
    assert.equal(commandLineFor(["C:\\Program Files\\app.exe"], "cmd", "argv"), '^"C:\\Program Files\\app.exe^"');
    assert.equal(commandLineFor(["Write-Output", "$env:X"], "powershell"), "Write-Output '$env:X'");
  });
});

describe("PowerShell quoting", () => {
  test("plain names, paths and -Parameters stay bare; everything else is a verbatim '...' string", () => {
    assert.equal(quotePowerShellWord("Get-Item"), "Get-Item");
    assert.equal(quotePowerShellWord("-Path"), "-Path");
    assert.equal(quotePowerShellWord("C:\\Windows\\win.ini"), "C:\\Windows\\win.ini");
    assert.equal(quotePowerShellWord("$env:COMPUTERNAME"), "'$env:COMPUTERNAME'");
    assert.equal(quotePowerShellWord("it's"), "'it''s'");
    assert.equal(quotePowerShellWord("it\u2019s"), "'it\u2019\u2019s'", "typographic quotes end a string in PowerShell too");
    assert.equal(quotePowerShellWord("a;b"), "'a;b'");
    assert.equal(quotePowerShellWord(""), "''");
    assert.equal(quotePowerShellArgs(["C:\\Program Files\\x.exe", "a b"]), "& 'C:\\Program Files\\x.exe' 'a b'");
  });

  test("the emulated powershell prints each quoted word literally", async () => {
    const words = ["$env:COMPUTERNAME", "it's", "a;b", "$(1+1)", "`n"];
    const script = quotePowerShellArgs(["Write-Output", ...words]);
    const enc = Buffer.from(script, "utf16le").toString("base64");
    const r = host.startCommand(`powershell -NoProfile -NonInteractive -EncodedCommand ${enc}`, { env: {}, codePage: 65001 });
    const out = await r.run(Buffer.alloc(0));
    assert.equal(out.exitCode, 0, out.stderr.toString());
    assert.deepEqual(out.stdout.toString("utf8").split("\r\n").slice(0, -1), words);
  });
});

describe("emulator: cmd /c's quote rule (cmd /?)", () => {
  const exe = (name: string): boolean => name.toLowerCase().endsWith(".exe");
  test("a line starting with a quote loses it and the last quote", () => {
    assert.equal(slashCLine('"hostname"', exe), "hostname", "no blank between the quotes");
    assert.equal(slashCLine('"C:\\Program Files\\x.exe" "a b"', exe), 'C:\\Program Files\\x.exe" "a b', "four quotes");
    assert.equal(slashCLine('"set Q=1& echo x" & echo y', exe), "set Q=1& echo x & echo y");
    assert.equal(slashCLine('"a b.cmd"', exe), "a b.cmd", "not an executable");
  });
  test("kept: exactly two quotes around an executable name with a blank and no special character", () => {
    assert.equal(slashCLine('"C:\\Program Files\\x.exe"', exe), '"C:\\Program Files\\x.exe"');
    assert.equal(slashCLine('"C:\\Program Files\\x&.exe"', exe), "C:\\Program Files\\x&.exe", "a special character");
  });
  test("a line not starting with a quote is untouched", () => {
    assert.equal(slashCLine('netsh "<local>"', exe), 'netsh "<local>"');
    assert.equal(slashCLine('^"C:\\x y\\a.exe^"', exe), '^"C:\\x y\\a.exe^"');
  });
});
