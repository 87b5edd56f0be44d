/**
 * RemoteCommand: @pulumi/command's remote.Command over WinRM (pulumi-command provider/pkg/provider/remote: create /
 * update / delete commands, triggers that replace, stdout / stderr outputs, addPreviousOutputInEnv, logging),
 * through this package's client.
 *
 * - create runs on create (nothing when unset); update runs when an input other than triggers and connection changes
 *   (create runs again when update is unset; with neither, nothing runs and the outputs stay); delete runs on destroy
 *   and on replacement. Each runs in a fresh shell: cmd.exe, or a PowerShell script; in `dir` when given.
 * - addPreviousOutputInEnv (default true, as in pulumi-command): update and delete get the last create/update's
 *   stdout / stderr in PULUMI_COMMAND_STDOUT / PULUMI_COMMAND_STDERR, each only when not empty (pulumi-command's
 *   rule), without the final line break, at most PREVIOUS_OUTPUT_MAX characters (the end of it: an environment block travels in the Create
 *   envelope, which MaxEnvelopeSize bounds).
 * - triggers (any JSON values): any change replaces the resource. A change of the connection's endpoint does too
 *   (another host); any other connection change (a rotated password, timeouts, TLS, proxy) only updates the stored
 *   state: no command runs.
 * - An exit code other than 0 and acceptedExitCodes fails the operation with CommandFailedError carrying the exit
 *   code and the stderr tail. The message names the phase ("create (cmd)"), not the command text, which may hold a
 *   secret.
 * - logging (default stdoutAndStderr, as pulumi-command): output lines are written to the engine's log as they
 *   arrive: to the context's sink when the front end gives one (the native provider: the engine's Log RPC with
 *   the resource's URN), else to stderr (the dynamic provider: engineLog.ts says how, and why they appear under the
 *   stack resource). PowerShell's stderr is CLIXML
 *   until the end, so with shell "powershell" stderr is logged once the command ended, cleaned.
 *
 * id: `remote-command:<random UUID>` (a command has no identity on the host; read() returns the stored outputs, and
 * as inputs the `declared` ones, exactly as the program wrote them: shell "cmd" left out stays left out).
 */
import { randomUUID } from "node:crypto";
import type { RunResult } from "../client.js";
import { CommandFailedError } from "../errors.js";
import { cleanPowerShellStderr } from "../shell/powershell.js";
import { getClient } from "./clientPool.js";
import { LineLogger, stderrWriter, type LogWriter } from "./engineLog.js";
import {
  checkWith,
  connectionOf,
  declaredOf,
  parseInputs,
  plain,
  PREVIOUS_STDERR_ENV,
  PREVIOUS_STDOUT_ENV,
  remoteCommandInputs,
  SCHEMA_VERSION,
  storedDeclared,
  storedState,
  withoutProvider,
  type RemoteCommandInputs,
} from "./schemas.js";
import { connectionOnlyChange, DiffBuilder, withNewConnection, type Props, type OperationContext, type ResourceProviderFunctions } from "./types.js";

export const REMOTE_COMMAND_ID_PREFIX = "remote-command:";

export interface RemoteCommandState extends Omit<RemoteCommandInputs, "connection"> {
  schemaVersion: number;
  connection: unknown;
  endpoint: string;
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The inputs as the program wrote them, without connection (absent in state written before it existed). */
  declared?: Props;
}

/** The last lines of stderr (stdout when stderr is empty), at most 2000 characters. */
export function stderrTail(r: RunResult, lines = 10): string {
  const text = (r.stderr.trim() !== "" ? r.stderr : r.stdout).trimEnd();
  const tail = text.split(/\r?\n/).slice(-lines).join("\n");
  return tail.length > 2000 ? tail.slice(-2000) : tail;
}

/** Most characters of a previous stream put into the environment (its end). */
export const PREVIOUS_OUTPUT_MAX = 16_000;

/** Where log lines go when the operation's context names no sink (tests replace it). */
let defaultLogWriter: LogWriter = stderrWriter;

/** Replace the log writer; returns the previous one (tests). */
export function setCommandLogWriter(w: LogWriter): LogWriter {
  const previous = defaultLogWriter;
  defaultLogWriter = w;
  return previous;
}

type Phase = "create" | "update" | "delete";

/** The previous run's output for the environment of update / delete (pulumi-command: only non-empty streams). */
function previousOutputEnv(inputs: RemoteCommandInputs, previous: { stdout?: string; stderr?: string } | undefined): Record<string, string> {
  if (!inputs.addPreviousOutputInEnv || previous === undefined) return {};
  const env: Record<string, string> = {};
  const put = (name: string, output: string | undefined): void => {
    // Without its final line break (pulumi-command trims it too): cmd would end the line at an expanded CR LF.
    const text = output?.endsWith("\r\n") ? output.slice(0, -2) : output?.endsWith("\n") ? output.slice(0, -1) : output;
    if (text !== undefined && text !== "") env[name] = text.length > PREVIOUS_OUTPUT_MAX ? text.slice(-PREVIOUS_OUTPUT_MAX) : text;
  };
  put(PREVIOUS_STDOUT_ENV, previous.stdout);
  put(PREVIOUS_STDERR_ENV, previous.stderr);
  return env;
}

/** "host:port" of an endpoint, for log prefixes (no path, no credentials: endpoints have none). */
function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

async function runPhase(
  phase: Phase,
  command: string,
  inputs: RemoteCommandInputs,
  raw: unknown,
  ctx: OperationContext | undefined,
  previous?: { stdout?: string; stderr?: string },
): Promise<RunResult> {
  const { client } = getClient(raw);
  const logWriter = ctx?.log ?? defaultLogWriter;
  const env = { ...(inputs.environment ?? {}), ...previousOutputEnv(inputs, previous) };
  const prefix = `RemoteCommand ${phase} on ${hostOf(client.connection.endpoint)}`;
  const logStdout = inputs.logging === "stdout" || inputs.logging === "stdoutAndStderr";
  const logStderr = inputs.logging === "stderr" || inputs.logging === "stdoutAndStderr";
  const powershell = inputs.shell === "powershell";
  const loggers = {
    stdout: logStdout ? new LineLogger(`${prefix}: `, logWriter) : undefined,
    // PowerShell's stderr is CLIXML until the end: logged cleaned, after the command (below).
    stderr: logStderr && !powershell ? new LineLogger(`${prefix} (stderr): `, logWriter) : undefined,
  };
  const out: string[] = [];
  const err: string[] = [];
  let exitCode = 0;
  try {
    for await (const chunk of client.stream(command, {
      shell: inputs.shell,
      ...(inputs.stdin !== undefined ? { stdin: inputs.stdin } : {}),
      ...(Object.keys(env).length > 0 ? { env } : {}),
      ...(inputs.dir !== undefined ? { cwd: inputs.dir } : {}),
      ...(inputs.timeoutSeconds !== undefined ? { timeoutMs: inputs.timeoutSeconds * 1000 } : {}),
    })) {
      if (chunk.type === "exit") exitCode = chunk.exitCode;
      else {
        (chunk.type === "stdout" ? out : err).push(chunk.text);
        loggers[chunk.type]?.push(chunk.text);
      }
    }
  } finally {
    loggers.stdout?.end();
    loggers.stderr?.end();
  }
  let stderr = err.join("");
  if (powershell) {
    stderr = cleanPowerShellStderr(stderr);
    if (logStderr) {
      const l = new LineLogger(`${prefix} (stderr): `, logWriter);
      l.push(stderr);
      l.end();
    }
  }
  const r: RunResult = { stdout: out.join(""), stderr, exitCode };
  if (exitCode !== 0 && !(inputs.acceptedExitCodes ?? []).includes(exitCode)) {
    throw new CommandFailedError(`${phase} (${inputs.shell})`, exitCode, stderrTail(r));
  }
  return r;
}

function stateFrom(inputs: RemoteCommandInputs, news: Props, r: RunResult): RemoteCommandState {
  const { connection: _c, ...rest } = inputs;
  const raw = withoutProvider(news).connection;
  return plain({
    ...rest,
    schemaVersion: SCHEMA_VERSION,
    connection: raw,
    endpoint: connectionOf({ connection: raw }).endpoint,
    stdout: r.stdout,
    stderr: r.stderr,
    exitCode: r.exitCode,
    declared: declaredOf(news),
  });
}

const stateOf = (props: Props): RemoteCommandState => storedState(props, "RemoteCommand");

/** The inputs part of a stored state (in the parsed form: defaults applied). */
function inputsOf(state: RemoteCommandState): Props {
  const { stdout: _o, stderr: _e, exitCode: _x, schemaVersion: _v, endpoint: _p, declared: _d, ...inputs } = state;
  return plain(inputs);
}

const json = (v: unknown): string => JSON.stringify(v ?? null);

/** pulumi-command: a trigger change, known or not yet known, replaces (RemoteCommand and CopyToRemote alike). */
export function compareTriggers(d: DiffBuilder, old: unknown, now: unknown): void {
  d.compare("triggers", old ?? [], now ?? [], json, true);
}

/** The outputs of a create with no command. */
const NOTHING_RAN: RunResult = { stdout: "", stderr: "", exitCode: 0 };

export const remoteCommand: ResourceProviderFunctions = {
  async check(_olds, news) {
    return checkWith(remoteCommandInputs, news);
  },

  async diff(_id, olds, news) {
    const old = stateOf(olds);
    const n = withoutProvider(news);
    const d = new DiffBuilder();
    d.compareConnection(old.connection, n.connection);
    compareTriggers(d, old.triggers, n.triggers);
    d.compare("create", old.create, n.create, json);
    d.compare("update", old.update, n.update, json);
    d.compare("delete", old.delete, n.delete, json);
    d.compare("shell", old.shell, n.shell ?? "cmd", json);
    d.compare("stdin", old.stdin, n.stdin, json);
    d.compare("environment", old.environment ?? {}, n.environment ?? {}, json);
    d.compare("timeoutSeconds", old.timeoutSeconds, n.timeoutSeconds, json);
    d.compare("dir", old.dir, n.dir, json);
    d.compare("acceptedExitCodes", old.acceptedExitCodes ?? [], n.acceptedExitCodes ?? [], json);
    // State written before these inputs existed has no value: the defaults.
    d.compare("addPreviousOutputInEnv", old.addPreviousOutputInEnv ?? true, n.addPreviousOutputInEnv ?? true, json);
    d.compare("logging", old.logging ?? "stdoutAndStderr", n.logging ?? "stdoutAndStderr", json);
    return d.result();
  },

  async create(news, ctx) {
    const inputs = parseInputs(remoteCommandInputs, news);
    const raw = withoutProvider(news).connection;
    const r = inputs.create !== undefined ? await runPhase("create", inputs.create, inputs, raw, ctx) : NOTHING_RAN;
    return { id: `${REMOTE_COMMAND_ID_PREFIX}${randomUUID()}`, outs: stateFrom(inputs, news, r) as unknown as Props };
  },

  async read(id, props = {}) {
    // Nothing on the host to read back: the outputs are those of the last run.
    const old = stateOf(props);
    const declared = storedDeclared(old as unknown as Props);
    // Nothing can drift, so the declared inputs are the inputs; older state falls back to the parsed form.
    const inputs = declared !== undefined ? plain({ ...declared, connection: old.connection }) : inputsOf(old);
    return { id, props: plain(old) as unknown as Props, inputs };
  },

  async update(id, olds, news, ctx) {
    // A new password, timeout, TLS or proxy setting reaches the same host: record it, run nothing.
    if (connectionOnlyChange(await remoteCommand.diff(id, olds, news))) return { outs: withNewConnection(olds, news) };
    const old = stateOf(olds);
    const inputs = parseInputs(remoteCommandInputs, news);
    const raw = withoutProvider(news).connection;
    const command = inputs.update ?? inputs.create;
    // Neither update nor create: nothing runs, the outputs stay (pulumi-command keeps olds' outputs).
    const r = command !== undefined ? await runPhase("update", command, inputs, raw, ctx, old) : { stdout: old.stdout, stderr: old.stderr, exitCode: old.exitCode };
    return { outs: stateFrom(inputs, news, r) as unknown as Props };
  },

  async delete(_id, props, ctx) {
    const old = stateOf(props);
    if (old.delete === undefined) return;
    const inputs = parseInputs(remoteCommandInputs, inputsOf(old));
    await runPhase("delete", old.delete, inputs, old.connection, ctx, old);
  },
};
