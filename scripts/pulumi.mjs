#!/usr/bin/env node
// `npm run pulumi -- ARGS` (or `node scripts/pulumi.mjs ARGS`): runs the pinned Pulumi CLI that scripts/pulumi-engine.sh
// built (setup.sh builds it), offline, whatever `pulumi` may be on the PATH:
// - PATH starts with the engine's bin dir: pulumi v3.248.0, its Node.js language host and the dynamic-provider launcher.
// - Backend: a local file backend in the repository, .pulumi/state (git-ignored). A PULUMI_BACKEND_URL already set is
//   used only when it is a file:// URL too (tests and the demo use temporary ones); anything else is refused, because
//   a service backend would reach the network.
// - PULUMI_HOME: .pulumi/home (git-ignored) unless set, so nothing is read from or written to ~/.pulumi.
// - Secrets: the passphrase secrets provider. When neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is
//   set, the passphrase is the fixed, public demo value below (said on stderr): fine for the demo and tests, which keep
//   only emulator credentials; set your own for anything else.
// - Update checks, automatic plugin downloads and the Automation API's version check are off.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const DEMO_PASSPHRASE = "pulumi-winrm-proxy-demo";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const engineScript = join(root, "scripts", "pulumi-engine.sh");

function die(message) {
  process.stderr.write(`npm run pulumi: ${message}\n`);
  process.exit(1);
}

const binDir = spawnSync("bash", [engineScript, "--bin-dir"], { encoding: "utf8" });
if (binDir.status !== 0) die(`${engineScript} --bin-dir failed: ${binDir.stderr.trim()}`);
const bin = binDir.stdout.trim();
if (!existsSync(join(bin, "pulumi"))) {
  die(`the pinned Pulumi engine is not built (no ${join(bin, "pulumi")}): run \`bash scripts/setup.sh\` or \`bash scripts/pulumi-engine.sh\``);
}
// Built, but from other pins (go.mod/go.sum changed since) or damaged: say why rather than run the wrong engine.
const check = spawnSync("bash", [engineScript, "--check"], { encoding: "utf8" });
if (check.status !== 0) die(check.stderr.trim() || `${engineScript} --check failed`);

const env = { ...process.env };
env.PATH = [bin, env.PATH].filter(Boolean).join(":");

const backend = env.PULUMI_BACKEND_URL;
if (backend === undefined || backend === "") {
  const state = join(root, ".pulumi", "state");
  mkdirSync(state, { recursive: true });
  env.PULUMI_BACKEND_URL = `file://${state}`;
} else if (!backend.startsWith("file://")) {
  die(`PULUMI_BACKEND_URL=${backend} is not a local file backend; this project runs Pulumi offline (unset it to use .pulumi/state)`);
}
if (!env.PULUMI_HOME) {
  env.PULUMI_HOME = join(root, ".pulumi", "home");
  mkdirSync(env.PULUMI_HOME, { recursive: true });
}
if (!env.PULUMI_CONFIG_PASSPHRASE && !env.PULUMI_CONFIG_PASSPHRASE_FILE) {
  env.PULUMI_CONFIG_PASSPHRASE = DEMO_PASSPHRASE;
  process.stderr.write(
    `npm run pulumi: PULUMI_CONFIG_PASSPHRASE is not set: using the public demo passphrase "${DEMO_PASSPHRASE}" (set your own for real secrets)\n`,
  );
}
env.PULUMI_SKIP_UPDATE_CHECK = "1";
env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
env.PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK = "1";

const child = spawn(join(bin, "pulumi"), process.argv.slice(2), { stdio: "inherit", env });
// Ctrl-C reaches the whole foreground process group, the CLI included (its first SIGINT cancels cleanly, a second one
// forces): this process only keeps waiting for it. SIGTERM and SIGHUP sent to this process alone are handed on.
process.on("SIGINT", () => {});
for (const signal of ["SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on("error", (err) => die(`cannot run ${join(bin, "pulumi")}: ${err.message}`));
child.on("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
