/**
 * Live RemoteCommand output on the native provider, on the real CLI v3.248.0 and the YAML language host: while a
 * command runs, each output line reaches `pulumi up`'s output as it arrives, on the command resource's own row (the
 * provider sends it to the engine's Log RPC with the resource's URN: provider/src/native/engineLog.ts), not under the
 * stack as the dynamic provider's stderr lines are. The emulated host's `ping -n N` prints a reply a second.
 *
 * Also: `logging: none` logs no output; a command with a secret input logs only a note, never its output.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PulumiRunner } from "../integration/pulumiEngineHarness.js";
import { SECRET_OUTPUT_NOTE } from "../../provider/src/native/resourceBridge.js";
import { FleetLab, labMissing, proxyUrl, REPO_ROOT } from "./fleetLab.js";

const skip = labMissing();
const PROJECT = "winrm-native-logs";
const STACK = "logs";
const PINGS = 6;
const SECRET_TOKEN = "Log-Secret-Token-3f8a";

// One host through its proxy, three commands: a slow one printing a line a second, a silenced one, a secret one.
const PROGRAM = `name: ${PROJECT}
runtime: yaml
config:
  endpoint:
    type: string
  proxy:
    type: string
  user:
    type: string
  password:
    type: string
    secret: true
resources:
  host:
    type: pulumi:providers:winrmproxy
    properties:
      endpoint: \${endpoint}
      auth:
        mechanism: negotiate
        username: \${user}
        password: \${password}
      proxy:
        url: \${proxy}
  slow-ping:
    type: winrmproxy:index:RemoteCommand
    properties:
      create: ping -n ${PINGS} 127.0.0.1
    options:
      provider: \${host}
  quiet:
    type: winrmproxy:index:RemoteCommand
    properties:
      create: echo quiet-line
      logging: none
    options:
      provider: \${host}
  hidden:
    type: winrmproxy:index:RemoteCommand
    properties:
      create:
        fn::secret: echo ${SECRET_TOKEN}
    options:
      provider: \${host}
`;

describe("native provider: RemoteCommand output live in pulumi up", { skip, timeout: 600_000 }, () => {
  let lab: FleetLab;
  let pulumi: PulumiRunner;

  const withStack = (args: string[]): string[] => [...args, "--stack", STACK, "--non-interactive"];

  before(async () => {
    lab = await FleetLab.start({});
    const projectDir = join(lab.dir, "logs-project");
    for (const d of [projectDir, join(lab.dir, "logs-state"), join(lab.dir, "logs-home")]) mkdirSync(d, { recursive: true });
    writeFileSync(join(projectDir, "Pulumi.yaml"), PROGRAM);
    pulumi = new PulumiRunner({
      cwd: projectDir,
      env: {
        PULUMI_BACKEND_URL: `file://${join(lab.dir, "logs-state")}`,
        PULUMI_HOME: join(lab.dir, "logs-home"),
        PULUMI_CONFIG_PASSPHRASE: "native-logs-test",
        PULUMI_CONFIG_PASSPHRASE_FILE: undefined,
        NO_COLOR: "1",
        PATH: `${join(REPO_ROOT, "bin")}:${process.env.PATH ?? ""}`,
      },
      killAfterMs: 180_000,
      label: "native logs",
    });
    const legacy = lab.host("legacy-02");
    await pulumi.ok(["stack", "init", STACK, "--non-interactive"]);
    const plain = { endpoint: legacy.emulator.url, proxy: proxyUrl(legacy.proxy), user: lab.credentials.user };
    await pulumi.ok(withStack(["config", "set-all", ...Object.entries(plain).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`])]));
    await pulumi.ok(withStack(["config", "set", "--secret", "password"]), { input: lab.credentials.password });
  });

  after(async () => {
    pulumi?.killLeftovers();
    await lab?.stop();
  });

  test("each ping reply shows on the command's row as it arrives; logging none and secret commands log no output", async () => {
    const lines: { text: string; at: number }[] = [];
    const r = await pulumi.ok(withStack(["up", "--yes", "--skip-preview"]), { onLine: (text) => lines.push({ text, at: Date.now() }) });
    const output = `${r.stdout}\n${r.stderr}`;

    // While running (before the summary), the CLI prints each log message on the resource's row:
    // `    winrmproxy:index:RemoteCommand slow-ping creating (2s) RemoteCommand create on ...: Reply from 127.0.0.1: ...`
    const replies = lines.filter((l) => l.text.includes("Reply from 127.0.0.1") && l.text.includes("creating"));
    assert.equal(replies.length, PINGS, `expected ${PINGS} live reply lines:\n${output}`);
    for (const l of replies) {
      assert.match(l.text, /winrmproxy:index:RemoteCommand\s+slow-ping\b/, `a reply line is not on the command's row: ${l.text}`);
      assert.doesNotMatch(l.text, /pulumi:pulumi:Stack/);
    }
    const spread = (replies[PINGS - 1] as { at: number }).at - (replies[0] as { at: number }).at;
    assert.ok(spread >= (PINGS - 2) * 1000, `the reply lines arrived within ${spread} ms: not live`);
    const summaryAt = lines.find((l) => /^Resources:/.test(l.text.trim()))?.at ?? Infinity;
    assert.ok((replies[PINGS - 1] as { at: number }).at < summaryAt, "the replies came only with the summary");

    assert.ok(!output.includes("quiet-line"), "logging: none logged the output");
    assert.ok(!output.includes(SECRET_TOKEN), "a secret command's output was logged in clear");
    assert.ok(lines.some((l) => /RemoteCommand\s+hidden\b/.test(l.text) && l.text.includes(SECRET_OUTPUT_NOTE)), `no note for the secret command:\n${output}`);
    console.log(`native logs: ${replies.length} reply lines over ${spread} ms on the slow-ping row`);
  });

  test("destroy", async () => {
    await pulumi.ok(withStack(["destroy", "--yes", "--skip-preview"]));
  });
});
