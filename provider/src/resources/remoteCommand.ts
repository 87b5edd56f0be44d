/**
 * RemoteCommand: @pulumi/command's remote.Command over WinRM (pulumi-command provider/pkg/provider/remote: create /
 * update / delete commands, triggers that replace, stdout / stderr outputs), through this package's client.
 *
 * - create runs on create; update runs when an input other than triggers changes (create runs again when update is
 *   unset); delete runs on destroy and on replacement. Each runs in a fresh shell: cmd.exe, or a PowerShell script.
 * - triggers (any JSON values): any change replaces the resource. A change of the connection's endpoint does too
 *   (another host).
 * - A non-zero exit fails the operation with CommandFailedError carrying the exit code and the stderr tail. The
 *   message names the phase ("create (cmd)"), not the command text, which may hold a secret.
 *
 * id: `remote-command:<random UUID>` (a command has no identity on the host; read() returns the stored outputs, and
 * as inputs the `declared` ones, exactly as the program wrote them: shell "cmd" left out stays left out).
 */
import { randomUUID } from "node:crypto";
import type { RunResult } from "../client.js";
import { CommandFailedError } from "../errors.js";
import { getClient } from "./clientPool.js";
import {
  checkWith,
  connectionOf,
  declaredOf,
  parseInputs,
  plain,
  remoteCommandInputs,
  SCHEMA_VERSION,
  storedDeclared,
  storedState,
  withoutProvider,
  type RemoteCommandInputs,
} from "./schemas.js";
import { DiffBuilder, type Props, type ResourceProviderFunctions } from "./types.js";

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

async function runPhase(
  phase: "create" | "update" | "delete",
  command: string,
  inputs: RemoteCommandInputs,
  raw: unknown,
): Promise<RunResult> {
  const { client } = getClient(raw);
  const r = await client.run(command, {
    shell: inputs.shell,
    ...(inputs.stdin !== undefined ? { stdin: inputs.stdin } : {}),
    ...(inputs.environment !== undefined ? { env: inputs.environment } : {}),
    ...(inputs.timeoutSeconds !== undefined ? { timeoutMs: inputs.timeoutSeconds * 1000 } : {}),
  });
  if (r.exitCode !== 0) throw new CommandFailedError(`${phase} (${inputs.shell})`, r.exitCode, stderrTail(r));
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

export const remoteCommand: ResourceProviderFunctions = {
  async check(_olds, news) {
    return checkWith(remoteCommandInputs, news);
  },

  async diff(_id, olds, news) {
    const old = stateOf(olds);
    const n = withoutProvider(news);
    const d = new DiffBuilder();
    d.compareConnection(old.connection, n.connection);
    // pulumi-command: a trigger change, known or not yet known, replaces.
    d.compare("triggers", old.triggers ?? [], n.triggers ?? [], json, true);
    d.compare("create", old.create, n.create, json);
    d.compare("update", old.update, n.update, json);
    d.compare("delete", old.delete, n.delete, json);
    d.compare("shell", old.shell, n.shell ?? "cmd", json);
    d.compare("stdin", old.stdin, n.stdin, json);
    d.compare("environment", old.environment ?? {}, n.environment ?? {}, json);
    d.compare("timeoutSeconds", old.timeoutSeconds, n.timeoutSeconds, json);
    return d.result();
  },

  async create(news) {
    const inputs = parseInputs(remoteCommandInputs, news);
    const raw = withoutProvider(news).connection;
    const r = await runPhase("create", inputs.create, inputs, raw);
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

  async update(_id, _olds, news) {
    const inputs = parseInputs(remoteCommandInputs, news);
    const raw = withoutProvider(news).connection;
    const r = await runPhase("update", inputs.update ?? inputs.create, inputs, raw);
    return { outs: stateFrom(inputs, news, r) as unknown as Props };
  },

  async delete(_id, props) {
    const old = stateOf(props);
    if (old.delete === undefined) return;
    const inputs = parseInputs(remoteCommandInputs, inputsOf(old));
    await runPhase("delete", old.delete, inputs, old.connection);
  },
};
