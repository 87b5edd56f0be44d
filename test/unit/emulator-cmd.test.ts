import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import type { Locale } from "../../provider/src/testing/index.js";
import type { ProfileName } from "../../provider/src/testing/index.js";

async function run(
  line: string,
  opts: { profile?: ProfileName; locale?: Locale; stdin?: string; env?: Record<string, string>; host?: EmulatedHost } = {},
): Promise<{ stdout: string; stderr: string; exitCode: number; readsStdin: boolean }> {
  const h = opts.host ?? new EmulatedHost({ profile: opts.profile ?? "win2019", locale: opts.locale ?? "en-US" });
  const rc = h.startCommand(line, { env: opts.env ?? {}, codePage: 65001 });
  const r = await rc.run(Buffer.from(opts.stdin ?? "", "utf8"));
  return { stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8"), exitCode: r.exitCode, readsStdin: rc.readsStdin };
}

describe("cmd: echo, chaining, exit codes", () => {
  test("echo forms", async () => {
    assert.equal((await run("echo hello world")).stdout, "hello world\r\n");
    assert.equal((await run("echo.")).stdout, "\r\n");
    assert.equal((await run("echo")).stdout, "ECHO is on.\r\n");
    assert.equal((await run("@echo quiet")).stdout, "quiet\r\n");
    assert.equal((await run('echo "a & b" ^& c')).stdout, '"a & b" & c\r\n');
  });

  test("& runs both, && only after success, || only after failure", async () => {
    const r = await run("echo one & nosuch && echo skipped || echo recovered");
    assert.equal(r.stdout, "one \r\nrecovered\r\n");
    assert.match(r.stderr, /^'nosuch' is not recognized as an internal or external command,\r\noperable program or batch file\.\r\n$/);
  });

  test("unknown command: exit 9009, message localized", async () => {
    assert.equal((await run("nosuch")).exitCode, 9009);
    const es = await run("nosuch", { locale: "es-ES" });
    assert.equal(es.stderr, '"nosuch" no se reconoce como un comando interno o externo,\r\nprograma o archivo por lotes ejecutable.\r\n');
  });

  test("exit /b N ends the line with N; the rest does not run", async () => {
    const r = await run("echo before & exit /b 3 & echo after");
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout, "before \r\n");
    assert.equal((await run("exit 0")).exitCode, 0);
  });

  test("the exit code is the last ERRORLEVEL; echo does not reset it", async () => {
    assert.equal((await run("nosuch & echo x")).exitCode, 9009);
    assert.equal((await run("nosuch & ver")).exitCode, 0);
  });

  test("if errorlevel / == / defined", async () => {
    assert.equal((await run("nosuch 2>nul & if errorlevel 1 echo failed")).stdout, "failed\r\n");
    assert.equal((await run("if /i ABC==abc echo same")).stdout, "same\r\n");
    assert.equal((await run("if not defined NOPE_X echo undefined")).stdout, "undefined\r\n");
    assert.equal((await run("if 3 GTR 10 echo wrong")).stdout, "");
  });
});

describe("cmd: redirection", () => {
  test(">&2 and 1>&2 send stdout to stderr (text keeps the space before the operator)", async () => {
    const r = await run("echo to-err >&2 & echo to-err-2 1>&2 & echo to-out");
    assert.equal(r.stdout, "to-out\r\n");
    assert.equal(r.stderr, "to-err  \r\nto-err-2  \r\n");
  });

  test("2>&1 merges, >nul and 2>nul discard", async () => {
    const r = await run("nosuch 2>&1");
    assert.match(r.stdout, /^'nosuch' is not recognized/);
    assert.equal(r.stderr, "");
    const q = await run("echo gone>nul & nosuch 2>nul");
    assert.equal(q.stdout + q.stderr, "");
  });

  test("> file, >> file, type and < file", async () => {
    const h = new EmulatedHost({ profile: "win2019", locale: "en-US" });
    await run("echo first>out.txt & echo second>>out.txt", { host: h });
    // the space before "&" belongs to the first echo, as in cmd
    assert.equal((await run("type out.txt", { host: h })).stdout, "first \r\nsecond\r\n");
    assert.equal((await run("findstr sec < out.txt", { host: h })).stdout, "second\r\n");
    const missing = await run("type nothere.txt", { host: h });
    assert.equal(missing.exitCode, 1);
    assert.equal(missing.stderr, "The system cannot find the file specified.\r\n");
  });
});

describe("cmd: variables", () => {
  test("%VAR% from the shell environment, case-insensitive", async () => {
    assert.equal((await run("echo %greeting% %Greeting%", { env: { GREETING: "hola" } })).stdout, "hola hola\r\n");
  });

  test("expansion happens once per line, before anything runs", async () => {
    assert.equal((await run("set X=1 & echo %X%")).stdout, "%X%\r\n");
    const h = new EmulatedHost({ profile: "win2019", locale: "en-US" });
    const rc = h.startCommand("set X=1& echo %X%", { env: { X: "old" }, codePage: 65001 });
    assert.equal((await rc.run(Buffer.alloc(0))).stdout.toString(), "old\r\n");
  });

  test("standard variables and %ERRORLEVEL%", async () => {
    const r = await run("echo %COMPUTERNAME% %OS% %ERRORLEVEL%");
    assert.equal(r.stdout, "WIN2019 Windows_NT 0\r\n");
    assert.equal((await run("hostname", { profile: "win2003r2" })).stdout, "WIN2003R2\r\n");
  });

  test("set NAME, set /a", async () => {
    const r = await run("set PROCESSOR_A");
    assert.equal(r.stdout, "PROCESSOR_ARCHITECTURE=AMD64\r\n");
    const missing = await run("set NOPE_VAR");
    assert.equal(missing.exitCode, 1);
    assert.equal(missing.stderr, "Environment variable NOPE_VAR not defined\r\n");
    assert.equal((await run("set /a (2+3)*4")).stdout, "20");
  });
});

describe("cmd: stdin readers and pipes", () => {
  test("more and findstr read stdin; readsStdin reports it", async () => {
    const m = await run("more", { stdin: "a\nb\n" });
    assert.equal(m.readsStdin, true);
    assert.equal(m.stdout, "a\r\nb\r\n");
    const f = await run("findstr /i ERROR", { stdin: "ok\r\nerror: x\r\nfine\r\n" });
    assert.equal(f.stdout, "error: x\r\n");
    assert.equal(f.exitCode, 0);
    assert.equal((await run("findstr zzz", { stdin: "abc\r\n" })).exitCode, 1);
    assert.equal((await run("echo hi")).readsStdin, false);
    assert.equal((await run("echo hi | more")).readsStdin, false, "piped: the shell's stdin is not read");
  });

  test("pipes pass stdout along", async () => {
    const r = await run("(echo b & echo a & echo c) | sort");
    assert.equal(r.stdout, "a \r\nb \r\nc\r\n");
    assert.equal((await run("echo needle | findstr needle")).stdout, "needle \r\n");
  });
});

describe("cmd: for /L", () => {
  test("small loop", async () => {
    assert.equal((await run("for /L %i in (1,2,7) do @echo n%i")).stdout, "n1\r\nn3\r\nn5\r\nn7\r\n");
    assert.equal((await run("for /L %i in (3,-1,1) do @echo %i")).stdout, "3\r\n2\r\n1\r\n");
  });

  test("large output: 50000 lines, exact bytes", async () => {
    const r = await run("for /L %i in (1,1,50000) do @echo line %i of fifty thousand");
    const lines = r.stdout.split("\r\n");
    assert.equal(lines.length, 50001);
    assert.equal(lines[0], "line 1 of fifty thousand");
    assert.equal(lines[49999], "line 50000 of fifty thousand");
    let expected = 0;
    for (let i = 1; i <= 50000; i++) expected += `line ${i} of fifty thousand\r\n`.length;
    assert.equal(Buffer.byteLength(r.stdout), expected);
  });

  test("the body runs to the end of the line", async () => {
    assert.equal((await run("for %x in (a b) do @echo %x& echo -")).stdout, "a\r\n-\r\nb\r\n-\r\n");
  });
});

describe("cmd: code pages", () => {
  test("chcp shows and changes the code page; later output uses the new page", async () => {
    const h = new EmulatedHost({ profile: "win2019", locale: "es-ES" });
    const rc = h.startCommand("echo ñ & chcp 850 & echo ñ", { env: {}, codePage: 65001 });
    const r = await rc.run(Buffer.alloc(0));
    // "ñ " in UTF-8, then the chcp line and "ñ" in cp850 (0xA4)
    assert.deepEqual(r.stdout.subarray(0, 4), Buffer.from("ñ \r\n", "utf8").subarray(0, 4));
    assert.ok(r.stdout.includes(Buffer.from("P\xa0gina de c\xa2digos activa: 850\r\n", "latin1")));
    assert.deepEqual(r.stdout.subarray(r.stdout.length - 3), Buffer.from([0xa4, 0x0d, 0x0a]));
  });

  test("chcp 65001 is refused on 2003", async () => {
    const r = await run("chcp 65001", { profile: "win2003r2" });
    assert.equal(r.exitCode, 1);
    assert.equal(r.stderr, "Invalid code page\r\n");
  });
});

describe("cmd: nested cmd /c", () => {
  test("runs the quoted line, returns its exit code, keeps the parent's env", async () => {
    const r = await run('cmd /c "set Q=1& echo inner& exit /b 4" & echo outer %Q%');
    assert.equal(r.stdout, "inner\r\nouter %Q%\r\n");
    assert.equal(r.exitCode, 4, "echo keeps the ERRORLEVEL the child left");
  });
});

describe("powershell subset", () => {
  const enc = (s: string): string => Buffer.from(s, "utf16le").toString("base64");

  test("-EncodedCommand: Write-Output, $env:, exit N", async () => {
    const r = await run(`powershell -NoProfile -NonInteractive -EncodedCommand ${enc('$env:FOO = "bar"; Write-Output "foo=$env:FOO"; Write-Output \'x\' 2; exit 5')}`);
    assert.equal(r.stdout, "foo=bar\r\nx\r\n2\r\n");
    assert.equal(r.exitCode, 5);
  });

  test("Write-Error goes to stderr and makes the exit code 1", async () => {
    const r = await run(`powershell -EncodedCommand ${enc('Write-Error "boom"')}`);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /^Write-Error "boom" : boom\r\n {4}\+ CategoryInfo {10}: NotSpecified/);
    assert.equal(r.stdout, "");
  });

  test("[Console]::In.ReadToEnd() reads the shell's stdin", async () => {
    const r = await run(`powershell -EncodedCommand ${enc("$x = [Console]::In.ReadToEnd(); Write-Output $x.Length; Write-Output $x")}`, {
      stdin: "payload",
    });
    assert.equal(r.readsStdin, true);
    assert.equal(r.stdout, "7\r\npayload\r\n");
  });

  test("-Command with cmd quoting; unknown cmdlet", async () => {
    assert.equal((await run('powershell -Command "Write-Output \'hi there\'"')).stdout, "hi there\r\n");
    const u = await run("powershell -Command Get-Nothing");
    assert.equal(u.exitCode, 1);
    assert.match(u.stderr, /The term 'Get-Nothing' is not recognized/);
  });

  test("absent on 2003 R2", async () => {
    assert.equal((await run("powershell -Command 1", { profile: "win2003r2" })).exitCode, 9009);
  });
});

describe("cmd: waiting with ping, output as it is written", () => {
  test("ping -n 3 takes about two seconds; each line reaches onOutput when written, not at the end", async () => {
    const h = new EmulatedHost({ profile: "win2019", locale: "en-US" });
    const rc = h.startCommand("for /L %i in (1,1,2) do (echo tick %i & ping -n 2 127.0.0.1 >nul)", { env: {}, codePage: 65001 });
    const started = Date.now();
    const seen: { at: number; text: string }[] = [];
    const r = await rc.run(Buffer.alloc(0), (stream, data) => seen.push({ at: Date.now() - started, text: `${stream}:${data.toString("utf8")}` }));
    const total = Date.now() - started;
    assert.equal(r.stdout.toString("utf8"), "tick 1 \r\ntick 2 \r\n");
    assert.deepEqual(seen.map((s) => s.text), ["stdout:tick 1 \r\n", "stdout:tick 2 \r\n"], "ping's own output went to nul");
    assert.ok(total >= 1900, `two pings of -n 2 took ${total} ms`);
    assert.ok((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0) >= 900, "the second line came a ping later");
    const out = await run("ping -n 2 web-01");
    assert.match(out.stdout, /Pinging web-01 with 32 bytes of data:\r\nReply from web-01: bytes=32 time<1ms TTL=128\r\nReply from web-01/);
    assert.equal((await run("ping -n 0 x")).exitCode, 1);
    assert.equal((await run("ping")).exitCode, 1);
  });
});
