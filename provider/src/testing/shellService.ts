/**
 * Remote shell state of the emulated WinRM service (MS-WSMV 3.1.4.5-3.1.4.14, MS-WSMV 3.1.4 Create; MS-WSMV 3.1.4 Delete), free of SOAP:
 * server.ts parses the envelopes and renders the answers; this module holds the shells, their commands, stdin, the
 * buffered output and its chunking across Receives.
 *
 * Behaviour copied from Windows:
 * - A shell belongs to the user who created it; anybody else gets "shell not found" (the ShellId is not a capability).
 * - A command whose program reads stdin stays Pending until a Send with End="true" closes its stdin; then it runs.
 * - Output is handed out in Receives of bounded size; only the last one carries the End markers of both streams
 *   (Windows always ends stdout and stderr, MS-WSMV note <122>) and CommandState Done with the exit code.
 * - A Receive with nothing to report waits until output arrives or OperationTimeout passes; the caller then answers
 *   the w:TimedOut fault and the client reissues Receive.
 * - Signal terminate releases the command; ctrl_c / ctrl_break end a command that has not finished with
 *   STATUS_CONTROL_C_EXIT.
 */
import { randomUUID } from "node:crypto";
import { StdinStream } from "./host/stdinStream.js";

/** What the shell service needs of the emulated host (structurally the EmulatedHost of host/host.ts). */
export interface CommandHost {
  startCommand(
    commandLine: string,
    opts: {
      env: Record<string, string>;
      cwd?: string;
      codePage: number;
      /** WINRS_SKIP_CMD_SHELL: the program is started directly (throws ProgramNotFoundError when it has no file). */
      skipCmdShell?: { program: string };
    },
  ): {
    readonly readsStdin: boolean;
    /** Reads stdin while it runs: started at once, each Send's bytes handed to `stdinStream` (host/stdinStream.ts). */
    readonly streamsStdin?: boolean;
    run(
      stdin: Buffer,
      onOutput?: (stream: "stdout" | "stderr", data: Buffer) => void,
      stdinStream?: StdinStream,
    ): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }>;
  };
}

/** STATUS_CONTROL_C_EXIT (0xC000013A) as a signed 32-bit exit code, what cmd.exe reports after Ctrl+C. */
export const CTRL_C_EXIT_CODE = -1073741510;

export class ShellNotFoundError extends Error {
  constructor(readonly shellId: string) {
    super(`shell ${shellId} not found`);
  }
}

export class CommandNotFoundError extends Error {
  constructor(readonly commandId: string) {
    super(`command ${commandId} not found`);
  }
}

/** WINRS_SKIP_CMD_SHELL with a program that has no file: Windows faults at Command (ERROR_FILE_NOT_FOUND). */
export class ProgramNotFoundError extends Error {
  constructor(readonly program: string) {
    super(`program ${program} not found`);
  }
}

/**
 * A stream addressed to the shell (no CommandId) of a shell with no command: Windows' cmd plugin answers
 * ERROR_INVALID_PARAMETER (pypsrp records it as the Receive of a process it could not poll).
 */
export class NoCommandError extends Error {
  constructor(readonly shellId: string) {
    super(`shell ${shellId} has no command`);
  }
}

export interface ShellCreateOptions {
  owner: string;
  env: Record<string, string>;
  cwd?: string;
  codePage: number;
  inputStreams: string[];
  outputStreams: string[];
}

export interface ReceiveChunk {
  commandId: string;
  /** Stream pieces in order; a stream may appear several times; `end` marks the stream's last (possibly empty) piece. */
  streams: { name: string; data: Buffer; end: boolean }[];
  done: boolean;
  exitCode?: number;
}

export interface ShellSummary {
  id: string;
  options: ShellCreateOptions;
  createdAt: number;
  lastActivity: number;
  runningCommands: number;
}

type CommandState = "pending" | "running" | "done";

class Command {
  state: CommandState = "pending";
  stdin: Buffer[] = [];
  stdout: Buffer = Buffer.alloc(0);
  stderr: Buffer = Buffer.alloc(0);
  outOffset = 0;
  errOffset = 0;
  exitCode: number | undefined;
  /** Set once the final Receive (with End markers and Done) was handed out. */
  finished = false;
  /** For a command waiting on stdin: runs it once stdin is closed. */
  start: (() => void) | undefined;
  /** For a command that reads stdin while it runs: where Sends go. */
  stream: StdinStream | undefined;
  private waiters: (() => void)[] = [];

  constructor(
    readonly id: string,
    readonly commandLine: string,
  ) {}

  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves at the next state change, or when `ms` passes / `signal` aborts (the caller re-checks either way). */
  waitChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener("abort", done, { once: true });
      this.waiters.push(done);
    });
  }

  hasOutput(): boolean {
    return this.outOffset < this.stdout.length || this.errOffset < this.stderr.length;
  }
}

class Shell {
  readonly commands = new Map<string, Command>();
  readonly createdAt = Date.now();
  /** Last request that addressed the shell (rsp:ShellInactivity of an Enumerate). */
  lastActivity = Date.now();
  constructor(
    readonly id: string,
    readonly opts: ShellCreateOptions,
  ) {}
}

export interface ShellServiceOptions {
  host: CommandHost;
  /** Id generator for shells and commands; default an upper-case GUID as WinRM 2.0+ prints it. */
  newId?: () => string;
  /** Prefix of ShellIds ("uuid:" on WinRM 1.1, MS-WSMV 3.1.4 Create); default none. */
  shellIdPrefix?: string;
  /** Most payload bytes one Receive hands out (before base64); default: what the request's MaxEnvelopeSize allows. */
  receiveChunkBytes?: number;
  /** Most bytes per rsp:Stream element; default 8 KiB (Windows splits a stream into several elements). */
  streamElementBytes?: number;
}

export class ShellService {
  private readonly shells = new Map<string, Shell>();
  private readonly newId: () => string;
  private readonly shellIdPrefix: string;
  private readonly receiveChunkBytes: number | undefined;
  readonly streamElementBytes: number;

  constructor(private readonly opts: ShellServiceOptions) {
    this.newId = opts.newId ?? (() => randomUUID().toUpperCase());
    this.shellIdPrefix = opts.shellIdPrefix ?? "";
    this.receiveChunkBytes = opts.receiveChunkBytes;
    this.streamElementBytes = opts.streamElementBytes ?? 8 * 1024;
  }

  get shellCount(): number {
    return this.shells.size;
  }

  /** Shell ids owned by `owner` (tests: did Delete really remove it). */
  shellIds(owner?: string): string[] {
    return [...this.shells.values()].filter((s) => owner === undefined || sameUser(s.opts.owner, owner)).map((s) => s.id);
  }

  create(opts: ShellCreateOptions): string {
    const id = this.shellIdPrefix + this.newId();
    this.shells.set(id, new Shell(id, opts));
    return id;
  }

  delete(owner: string, shellId: string): void {
    const shell = this.shell(owner, shellId);
    for (const c of shell.commands.values()) {
      // Deleting the shell ends its processes: a reader of streamed stdin sees the end of its input.
      c.stream?.end();
      c.notify();
    }
    this.shells.delete(shell.id);
  }

  /** Start a command; returns its CommandId (the client's when it chose one, MS-WSMV 2.2.4.7). */
  command(owner: string, shellId: string, spec: { command: string; args: string[]; commandId?: string; skipCmdShell?: boolean }): string {
    const shell = this.shell(owner, shellId);
    const id = spec.commandId ?? this.newId();
    const commandLine = [spec.command, ...spec.args].join(" ");
    const cmd = new Command(id, commandLine);
    // Started before it is listed: a program that cannot start leaves no command behind (Windows faults at Command).
    const running = this.opts.host.startCommand(commandLine, {
      env: shell.opts.env,
      cwd: shell.opts.cwd,
      codePage: shell.opts.codePage,
      ...(spec.skipCmdShell === true ? { skipCmdShell: { program: spec.command } } : {}),
    });
    shell.commands.set(id, cmd);
    const start = (): void => {
      cmd.state = "running";
      cmd.notify();
      // Output is handed to Receives as the program writes it (a long command streams, as on Windows).
      const onOutput = (stream: "stdout" | "stderr", data: Buffer): void => {
        if (cmd.state === "done") return;
        if (stream === "stdout") cmd.stdout = Buffer.concat([cmd.stdout, data]);
        else cmd.stderr = Buffer.concat([cmd.stderr, data]);
        cmd.notify();
      };
      running
        .run(Buffer.concat(cmd.stdin), onOutput, cmd.stream)
        .then(
          (r) => {
            if (cmd.state === "done") return; // ctrl_c came first
            cmd.stdout = r.stdout;
            cmd.stderr = r.stderr;
            cmd.exitCode = r.exitCode;
          },
          (e: unknown) => {
            if (cmd.state === "done") return;
            // The host's interpreter failed: report it the way a crashed process looks, on stderr with exit 1.
            cmd.stderr = Buffer.from(`emulator: ${e instanceof Error ? e.message : String(e)}\r\n`);
            cmd.exitCode = 1;
          },
        )
        .finally(() => {
          cmd.state = "done";
          cmd.notify();
        });
    };
    if (running.streamsStdin === true) {
      cmd.stream = new StdinStream();
      start();
    } else if (running.readsStdin) {
      // Pending until stdin is closed (Send End="true"): the whole input is given to run() at once.
      cmd.start = start;
    } else {
      start();
    }
    return id;
  }

  /** Send: append stdin to a command; End closes stdin and starts a command that waited for it. */
  send(owner: string, shellId: string, streams: { name: string; commandId?: string; data: Buffer; end: boolean }[]): void {
    const shell = this.shell(owner, shellId);
    for (const s of streams) {
      const cmd = this.commandOf(shell, s.commandId);
      if (cmd.stream !== undefined) {
        cmd.stream.push(s.data);
        if (s.end) cmd.stream.end();
        continue;
      }
      if (cmd.state !== "pending") continue; // input left after the command started is discarded (MS-WSMV 3.1.4 Send)
      cmd.stdin.push(s.data);
      if (s.end) {
        const start = cmd.start;
        cmd.start = undefined;
        if (start) start();
      }
    }
  }

  /**
   * Receive: the next piece of output, waiting up to `timeoutMs` for something to report. Returns undefined when the
   * time passed with nothing to say (the caller answers w:TimedOut), or when `signal` aborted.
   */
  async receive(
    owner: string,
    shellId: string,
    commandId: string | undefined,
    timeoutMs: number,
    signal?: AbortSignal,
    payloadBudget = 64 * 1024,
  ): Promise<ReceiveChunk | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const shell = this.shell(owner, shellId);
      const cmd = this.commandOf(shell, commandId);
      if (cmd.hasOutput() || (cmd.state === "done" && !cmd.finished)) return this.chunk(cmd, Math.min(this.receiveChunkBytes ?? payloadBudget, payloadBudget));
      if (cmd.finished) {
        // Already reported Done: Windows answers again with the final state and no data.
        return { commandId: cmd.id, streams: [], done: true, exitCode: cmd.exitCode };
      }
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return undefined;
      await cmd.waitChange(left, signal);
    }
  }

  /** Signal: terminate releases the command; ctrl_c / ctrl_break stop one still running. Other codes are ignored. */
  signal(owner: string, shellId: string, commandId: string | undefined, code: string): void {
    const shell = this.shell(owner, shellId);
    const cmd = this.commandOf(shell, commandId);
    const c = code.toLowerCase();
    if (c.endsWith("/signal/terminate")) {
      shell.commands.delete(cmd.id);
      cmd.notify();
    } else if (c.endsWith("/signal/ctrl_c") || c.endsWith("/signal/ctrl_break")) {
      if (cmd.state !== "done") {
        cmd.state = "done";
        cmd.exitCode = CTRL_C_EXIT_CODE;
        cmd.notify();
      }
    }
  }

  private chunk(cmd: Command, budget: number): ReceiveChunk {
    const streams: ReceiveChunk["streams"] = [];
    const take = (name: "stdout" | "stderr"): void => {
      const buf = name === "stdout" ? cmd.stdout : cmd.stderr;
      let off = name === "stdout" ? cmd.outOffset : cmd.errOffset;
      while (off < buf.length && budget > 0) {
        const n = Math.min(this.streamElementBytes, budget, buf.length - off);
        streams.push({ name, data: buf.subarray(off, off + n), end: false });
        off += n;
        budget -= n;
      }
      if (name === "stdout") cmd.outOffset = off;
      else cmd.errOffset = off;
    };
    take("stdout");
    take("stderr");
    const done = cmd.state === "done" && !cmd.hasOutput();
    if (done) {
      // The final answer: both streams ended (MS-WSMV note <122>), state Done with the exit code.
      streams.push({ name: "stdout", data: Buffer.alloc(0), end: true }, { name: "stderr", data: Buffer.alloc(0), end: true });
      cmd.finished = true;
      return { commandId: cmd.id, streams, done: true, exitCode: cmd.exitCode };
    }
    return { commandId: cmd.id, streams, done: false };
  }

  /** The shells `owner` has, oldest first, as an Enumerate of the shell resource lists them. */
  list(owner: string): ShellSummary[] {
    return [...this.shells.values()]
      .filter((s) => sameUser(s.opts.owner, owner))
      .map((s) => ({
        id: s.id,
        options: s.opts,
        createdAt: s.createdAt,
        lastActivity: s.lastActivity,
        runningCommands: [...s.commands.values()].filter((c) => c.state !== "done").length,
      }));
  }

  private shell(owner: string, shellId: string): Shell {
    const shell = this.shells.get(shellId);
    if (!shell || !sameUser(shell.opts.owner, owner)) throw new ShellNotFoundError(shellId);
    shell.lastActivity = Date.now();
    return shell;
  }

  private commandOf(shell: Shell, commandId: string | undefined): Command {
    if (commandId === undefined) {
      // No CommandId: the shell's only (or latest) command, as a shell-level stream addresses it.
      const last = [...shell.commands.values()].pop();
      if (!last) throw new NoCommandError(shell.id);
      return last;
    }
    for (const [id, c] of shell.commands) if (id.toLowerCase() === commandId.toLowerCase()) return c;
    throw new CommandNotFoundError(commandId);
  }
}

function sameUser(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
