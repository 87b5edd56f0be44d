/**
 * main.ts as a standalone process: argument parsing, the endpoint URL as the first stdout line once ready, --ca-out,
 * and a clean exit on SIGTERM.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";

import { parseArgs } from "../../provider/src/cli/emulate.js";
import { RawClient, headerValues } from "./emulatorHarness.js";

const MAIN = fileURLToPath(new URL("../../provider/src/cli/main.js", import.meta.url));

void describe("winrm-proxy emulate (cli/emulate.ts)", () => {
  void test("parseArgs: repeated --user, --listen, --set; the password never appears in an error", () => {
    const a = parseArgs(["--listen", "127.0.0.1:0", "--profile", "win2008r2", "--user", "EX\\a:p:w", "--user", "b:q", "--set", "winrm/config/service/auth:Basic=true"]);
    assert.deepEqual(a.users, [
      { username: "EX\\a", password: "p:w" },
      { username: "b", password: "q" },
    ]);
    assert.equal(a.profile, "win2008r2");
    assert.deepEqual(a.sets, [{ path: "winrm/config/service/auth", key: "Basic", value: "true" }]);
    assert.throws(() => parseArgs(["--user", "EX\\a:secret", "--profile", "nope"]), (e: Error) => !e.message.includes("secret"));
    assert.throws(() => parseArgs(["--profile", "win2019"]), /at least one --user/);
  });

  void test("prints the URL first, writes the CA with --ca-out, serves, and exits 0 on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emu-main-"));
    const caFile = join(dir, "ca.pem");
    const child = spawn(process.execPath, [MAIN, "emulate", "--listen", "127.0.0.1:0", "--profile", "win2019", "--user", "EXAMPLE\\alice:Passw0rd!", "--tls", "--ca-out", caFile], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      let out = "";
      child.stdout.setEncoding("utf8");
      while (!out.includes("\n")) {
        const [chunk] = (await once(child.stdout, "data")) as [string];
        out += chunk;
      }
      const url = out.split("\n")[0] ?? "";
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/wsman$/);
      const caPem = readFileSync(caFile, "utf8");
      assert.equal(new X509Certificate(caPem).ca, true);
      const c = new RawClient(url, { ca: caPem });
      try {
        const r = await c.post("");
        assert.equal(r.status, 401);
        assert.deepEqual(headerValues(r, "WWW-Authenticate"), ["Negotiate"]);
      } finally {
        c.close();
      }
      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
