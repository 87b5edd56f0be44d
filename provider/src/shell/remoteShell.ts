/**
 * A remote cmd shell (MS-WSMV 3.1.4.5 Create, 3.1.4.11 Command, 3.1.4.13 Send, 3.1.4.14 Receive, 3.1.4.12 Signal,
 * 3.1.4.4 Delete; MS-WSMV 3.1.4 Create; MS-WSMV 3.1.4 Delete), reusable for several commands.
 *
 * Round trips: Create, then per command Command + Receive (+ Send when there is stdin), then Delete. A finished
 * command must be released with Signal terminate before the next Command in the same shell (MS-WSMV 3.1.4 Receive): we
 * send it lazily, only when another command follows; Delete releases the shell's commands with it (MS-WSMV 3.1.4.4),
 * so a one-shot command never pays for it.
 */
import type { Envelope } from "../wsman/parse.js";
import { ACTION, RESOURCE_URI, SIGNAL } from "../wsman/namespaces.js";
import {
  commandLineBody,
  parseCommandResponse,
  parseCreateResponse,
  parseReceiveResponse,
  receiveBody,
  sendBody,
  shellBody,
  signalBody,
  type ReceiveResult,
} from "../wsman/shell.js";
import { ConnectionError, ConnectionLostError, OperationTimeoutFault, ProtocolError } from "../errors.js";

/** One WS-Management request as the shell needs it; the client adds addressing, sealing and fault decoding. */
export interface WSManRequest {
  readonly action: string;
  readonly resourceUri: string;
  readonly selectors?: Record<string, string>;
  readonly options?: Record<string, string>;
  readonly body?: string;
}

export interface WSManInvoker {
  /** Send, await, and return the response envelope; throws WSManFaultError (OperationTimeoutFault included). */
  invoke(req: WSManRequest, signal?: AbortSignal): Promise<Envelope>;
  /**
   * Send a Receive and read its ReceiveResponse (the streaming scanner, wsman/receiveScanner.ts, with the full parser
   * as fallback). Optional: without it, invoke + parseReceiveResponse.
   */
  invokeReceive?(req: WSManRequest, signal?: AbortSignal): Promise<ReceiveResult>;
}

export interface ShellCreateOptions {
  readonly env?: Record<string, string> | undefined;
  readonly cwd?: string | undefined;
  /** WINRS_CODEPAGE: 65001 asks for UTF-8 (hosts on NT 5.x ignore it). */
  readonly codePage: number;
  /** WINRS_NOPROFILE (default true: don't load the user profile; faster, and what a service needs). */
  readonly noProfile?: boolean;
  readonly idleTimeoutSec?: number;
}

export type ShellEvent =
  | { readonly kind: "output"; readonly stream: "stdout" | "stderr"; readonly data: Buffer }
  | { readonly kind: "exit"; readonly exitCode: number };

export interface ExecuteOptions {
  /** Bytes for the command's stdin, already in the shell's code page; sent with End=true. */
  readonly stdin?: Uint8Array | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Stdin chunk per Send: base64 (4/3) plus the envelope stays far below MaxEnvelopeSize 150 KiB of WinRM 1.1/2.0. */
const STDIN_CHUNK = 64 * 1024;

export class RemoteShell {
  /** A finished command not yet released with Signal terminate. */
  private unreleased: string | undefined;
  private deleted = false;
  private busy = false;
  /** Commands the host accepted (CommandResponse received) in this shell. */
  acceptedCommands = 0;

  private constructor(
    private readonly wsman: WSManInvoker,
    readonly shellId: string,
    readonly resourceUri: string,
  ) {}

  static async create(wsman: WSManInvoker, opts: ShellCreateOptions, signal?: AbortSignal): Promise<RemoteShell> {
    const resourceUri = RESOURCE_URI.cmd;
    const env = await wsman.invoke(
      {
        action: ACTION.create,
        resourceUri,
        options: {
          WINRS_NOPROFILE: opts.noProfile === false ? "FALSE" : "TRUE",
          WINRS_CODEPAGE: String(opts.codePage),
        },
        body: shellBody({
          ...(opts.env !== undefined ? { env: opts.env } : {}),
          ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
          ...(opts.idleTimeoutSec !== undefined ? { idleTimeoutSec: opts.idleTimeoutSec } : {}),
          inputStreams: "stdin",
          outputStreams: "stdout stderr",
        }),
      },
      signal,
    );
    const shellId = parseCreateResponse(env);
    if (shellId === "") throw new ProtocolError("the Create response has no ShellId selector");
    return new RemoteShell(wsman, shellId, resourceUri);
  }

  get isDeleted(): boolean {
    return this.deleted;
  }

  private selectors(): Record<string, string> {
    return { ShellId: this.shellId };
  }

  /** Start a command; releases the previous one first (Signal terminate) when there is one. */
  async command(command: string, args: string[], signal?: AbortSignal): Promise<string> {
    this.assertOpen();
    if (this.unreleased !== undefined) {
      const prev = this.unreleased;
      this.unreleased = undefined;
      await this.signal(prev, SIGNAL.terminate, signal);
    }
    const env = await this.wsman.invoke(
      {
        action: ACTION.command,
        resourceUri: this.resourceUri,
        selectors: this.selectors(),
        // MS-WSMV 2.2.4.8: CONSOLEMODE_STDIN has no wire effect (every client sends TRUE); SKIP_CMD_SHELL FALSE runs
        // the line through cmd.exe /c, so built-ins, redirection and && work.
        options: { WINRS_CONSOLEMODE_STDIN: "TRUE", WINRS_SKIP_CMD_SHELL: "FALSE" },
        body: commandLineBody(command, args),
      },
      signal,
    );
    const id = parseCommandResponse(env);
    this.acceptedCommands++;
    return id;
  }

  async send(commandId: string, data: Uint8Array, end: boolean, signal?: AbortSignal): Promise<void> {
    this.assertOpen();
    await this.wsman.invoke(
      {
        action: ACTION.send,
        resourceUri: this.resourceUri,
        selectors: this.selectors(),
        body: sendBody(commandId, data, end),
      },
      signal,
    );
  }

  /**
   * One Receive. An OperationTimeout fault (w:TimedOut, 0x80338029) only means "no output yet" (MS-WSMV 3.1.4.14):
   * reissue, forever, as pywinrm does; the caller's signal / timeoutMs bounds the wait. `onIdle` runs on each one.
   */
  async receive(
    commandId: string,
    signal?: AbortSignal,
    onIdle?: () => Promise<void>,
  ): Promise<ReceiveResult> {
    this.assertOpen();
    const req: WSManRequest = {
      action: ACTION.receive,
      resourceUri: this.resourceUri,
      selectors: this.selectors(),
      body: receiveBody(commandId),
    };
    for (;;) {
      try {
        if (this.wsman.invokeReceive !== undefined) return await this.wsman.invokeReceive(req, signal);
        return parseReceiveResponse(await this.wsman.invoke(req, signal));
      } catch (err) {
        if (!(err instanceof OperationTimeoutFault)) throw err;
        if (onIdle !== undefined) await onIdle();
      }
    }
  }

  async signal(commandId: string, code: string, signal?: AbortSignal): Promise<void> {
    this.assertOpen();
    await this.wsman.invoke(
      {
        action: ACTION.signal,
        resourceUri: this.resourceUri,
        selectors: this.selectors(),
        body: signalBody(commandId, code),
      },
      signal,
    );
  }

  /**
   * Run one command to completion, yielding output chunks as they arrive, then the exit code.
   * Only one command at a time per shell: cmd shells run commands one after another.
   */
  async *execute(command: string, args: string[], opts: ExecuteOptions = {}): AsyncGenerator<ShellEvent> {
    if (this.busy) throw new ProtocolError("this shell is already running a command; open another shell to run in parallel");
    this.busy = true;
    let commandId: string | undefined;
    let finished = false;
    try {
      commandId = await this.command(command, args, opts.signal);
      const id = commandId;
      let stdinClosed = false;
      if (opts.stdin !== undefined) {
        const data = opts.stdin;
        for (let off = 0; off < data.length || off === 0; off += STDIN_CHUNK) {
          const end = off + STDIN_CHUNK >= data.length;
          await this.send(id, data.subarray(off, off + STDIN_CHUNK), end, opts.signal);
          if (end) break;
        }
        stdinClosed = true;
      }
      // A command that reads stdin we were not given would block forever (State Pending): close its stdin once,
      // but only when it is idle, so commands that never read stdin keep the 2-round-trip budget.
      const closeStdin = async (): Promise<void> => {
        if (stdinClosed) return;
        stdinClosed = true;
        await this.send(id, new Uint8Array(0), true, opts.signal);
      };
      for (;;) {
        const r = await this.receive(id, opts.signal, closeStdin);
        for (const s of r.streams) {
          if (s.commandId !== undefined && s.commandId.toLowerCase() !== id.toLowerCase()) continue;
          if (s.data.length === 0) continue;
          if (s.name === "stdout" || s.name === "stderr") yield { kind: "output", stream: s.name, data: s.data };
        }
        // Done, not End, means complete; ExitCode is meaningful only with Done (MS-WSMV 3.1.4 Receive).
        if (r.done) {
          finished = true;
          this.unreleased = id;
          yield { kind: "exit", exitCode: r.exitCode ?? 0 };
          return;
        }
        if (r.state !== undefined && /\/Pending$/i.test(r.state)) await closeStdin();
      }
    } catch (err) {
      if (commandId === undefined || !(err instanceof ConnectionError)) throw err;
      // The host accepted the Command: whatever broke afterwards, it may have run, or may still be running.
      throw new ConnectionLostError(
        `the host accepted the command (CommandId ${commandId}), so it may have run or may still be running, and it ` +
          `was not sent again; then ${err.message}`,
        { cause: err, step: err instanceof ConnectionLostError && err.step !== undefined ? err.step : "Receive" },
      );
    } finally {
      this.busy = false;
      if (!finished && commandId !== undefined) {
        // Abandoned (consumer stopped, error, abort): the command may still run; make the next Command release it.
        this.unreleased = commandId;
      }
    }
  }

  /** Delete the shell (releases its commands, MS-WSMV 3.1.4.4). Idempotent. */
  async delete(signal?: AbortSignal): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    this.unreleased = undefined;
    await this.wsman.invoke(
      { action: ACTION.delete, resourceUri: this.resourceUri, selectors: this.selectors() },
      signal,
    );
  }

  private assertOpen(): void {
    if (this.deleted) throw new ProtocolError(`shell ${this.shellId} is already deleted`);
  }
}
