/**
 * WinRMClient: run cmd / PowerShell commands, read and write WinRM configuration, identify the host.
 *
 * One client = one WinRMSession = one pinned, authenticated connection (re-established on demand). Construction does
 * no I/O: the configuration and the transport policy are checked first, so a refused configuration sends no byte.
 *
 * Round trips on a warm connection: run() = Create + Command + Receive + Delete (+ Send with stdin, + Receive per
 * OperationTimeout or output chunk); a reused shell = Command + Receive per command, plus Signal terminate for the
 * previous command (MS-WSMV 3.1.4 Receive); one NTLM handshake (2 requests) per connection.
 */
import { randomUUID } from "node:crypto";
import { createMechanism } from "./auth/index.js";
import type { AuthMechanism } from "./auth/mechanism.js";
import { parseConnection, type Connection, type ConnectionInput } from "./connection.js";
import { ConfigurationError, ConnectionLostError, HttpError, LimitExceededError, ProtocolError, TimeoutError, WSManFaultError } from "./errors.js";
import { envelopeLimitFromConfig, isEnvelopeSizeRefused, PROBE_ENVELOPE_SIZE, steppedDownEnvelopeSize } from "./envelopeSize.js";
import { faultToActOn } from "./faultTrust.js";
import { abortReason } from "./transport/http.js";
import { checkPolicy, type TransportPlan } from "./transport/policy.js";
import { WinRMSession, type SessionStats, type SoapResponse } from "./transport/session.js";
import type { PathObserver } from "./transport/pathEvents.js";
import { buildRequest, DEFAULT_MAX_ENVELOPE_SIZE } from "./wsman/envelope.js";
import { faultFromEnvelope } from "./wsman/faults.js";
import { parseEnvelope, type Envelope } from "./wsman/parse.js";
import { scanReceiveResponse } from "./wsman/receiveScanner.js";
import { isShellGone, KeptShells, keptShellKey } from "./shell/keptShell.js";
import { parseReceiveResponse, type ReceiveResult } from "./wsman/shell.js";
import { ACTION, RESOURCE_URI } from "./wsman/namespaces.js";
import { buildIdentifyRequest, parseIdentifyResponse, parseProductVersion } from "./wsman/identify.js";
import {
  configResourceUri,
  normalizeConfigPath,
  parseConfigDocument,
  renderConfigDocument,
  type ConfigTree,
} from "./wsman/config.js";
import { RemoteShell, type ShellEvent, type WSManInvoker, type WSManRequest } from "./shell/remoteShell.js";
import {
  UTF8_CODE_PAGE,
  decodeOutput,
  encodeInput,
  honoursUtf8CodePage,
  parseChcp,
  streamDecoder,
} from "./shell/codePage.js";
import { cleanPowerShellStderr, powershellCommandLine } from "./shell/powershell.js";

export type ShellKind = "cmd" | "powershell";

/** Messages safe to resend once if the connection died under them (repeating them changes nothing). */
const IDEMPOTENT_ACTIONS: ReadonlySet<string> = new Set([ACTION.get, ACTION.signal, ACTION.delete]);

/**
 * The w:MaxEnvelopeSize every request declares; the session caps each response (body, decrypted part) from it, so a
 * host or proxy that sends more fails with LimitExceededError instead of growing the client's memory.
 */
const MAX_ENVELOPE_SIZE = DEFAULT_MAX_ENVELOPE_SIZE;

/**
 * MaxEnvelopeSizekb defaults (MS-WSMV 3.1.4.1.6, winrm/config): 150 KiB on WinRM 1.1 and 2.0, 500 KiB on 3.0 and
 * later. Once Identify says `Stack: 3.0` the client declares the larger size, so each Receive carries about 3x the
 * output (fewer round trips per megabyte).
 */
const MAX_ENVELOPE_SIZE_STACK3 = 512_000;

/** The largest MaxEnvelopeSize a client declares: the HTTP layer's body cap for the connection (session.ts). */
export const MAX_ENVELOPE_SIZE_CEILING = MAX_ENVELOPE_SIZE_STACK3;

export function maxEnvelopeSizeForStack(stack: string | undefined): number {
  const major = stack === undefined ? Number.NaN : Number(stack.split(".")[0]);
  return Number.isInteger(major) && major >= 3 ? MAX_ENVELOPE_SIZE_STACK3 : MAX_ENVELOPE_SIZE;
}

export interface RunOptions {
  /** "cmd" (default): the line runs through cmd.exe; "powershell": the text is a PowerShell script. */
  readonly shell?: ShellKind;
  /** Text for the command's stdin (encoded in the shell's code page), closed after it. */
  readonly stdin?: string | Uint8Array;
  /** Environment variables of the shell (rsp:Environment). With openShell(), give them to openShell. */
  readonly env?: Record<string, string>;
  /** Working directory of the shell (rsp:WorkingDirectory). */
  readonly cwd?: string;
  readonly signal?: AbortSignal;
  /** Our own deadline for the whole command; TimeoutError when it passes. */
  readonly timeoutMs?: number;
  /**
   * run() only: the most stdout + stderr bytes it collects (default DEFAULT_MAX_RUN_OUTPUT_BYTES, 64 MiB); a command
   * that prints more fails with LimitExceededError instead of growing the client's memory. stream() has no such
   * bound: it holds nothing.
   */
  readonly maxOutputBytes?: number;
}

/** What run() collects at most by default (RunOptions.maxOutputBytes): far above any config or script output. */
export const DEFAULT_MAX_RUN_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export type OutputChunk =
  | { readonly type: "stdout" | "stderr"; readonly text: string }
  | { readonly type: "exit"; readonly exitCode: number };

export interface IdentifyResult {
  readonly protocolVersion: string;
  readonly productVendor: string;
  readonly productVersion: string;
  /** Parsed from productVersion ("OS: 10.0.17763 SP: 0.0 Stack: 3.0"); undefined for other vendors' shapes. */
  readonly os?: string;
  readonly servicePack?: string;
  readonly stack?: string;
  readonly securityProfiles: readonly string[];
}

export interface ClientStats extends SessionStats {
  /** Shells created. */
  readonly shells: number;
}

export interface ClientOptions {
  /** Override the mechanism (tests, or a custom one); default from connection.auth. */
  readonly mechanism?: AuthMechanism;
  /** a:MessageID generator (tests need determinism); default uuid: + random GUID. */
  readonly messageId?: () => string;
  /** Sees each step of the path (proxy, CONNECT, TLS, auth, encryption, affinity); never a secret. For `probe`. */
  readonly observer?: PathObserver;
  /** Environment for proxy "env" (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * run() keeps one shell open per environment and working directory and reuses it (default true): a warm run()
   * costs Command + Receive (+ Signal terminate of the previous command) instead of four round trips.
   */
  readonly reuseShell?: boolean;
}

/** A shell kept open for several commands (env and cwd fixed at open). */
export interface ShellHandle {
  readonly shellId: string;
  run(command: string, opts?: Omit<RunOptions, "env" | "cwd">): Promise<RunResult>;
  stream(command: string, opts?: Omit<RunOptions, "env" | "cwd">): AsyncIterable<OutputChunk>;
  close(): Promise<void>;
}

export class WinRMClient {
  readonly connection: Connection;
  readonly plan: TransportPlan;
  private readonly session: WinRMSession;
  private readonly messageId: () => string;
  private identity: Promise<IdentifyResult> | undefined;
  /** Code page the host prints in, once known (codePage "auto"). */
  private outputCodePage: number | undefined;
  private shells = 0;
  private closed = false;
  /** Shells kept open for run() (one per env/cwd key), deleted on close(). */
  private readonly keptShells = new KeptShells();
  private readonly reuseShell: boolean;
  /** The w:MaxEnvelopeSize requests declare: 153600 until Identify shows a WinRM 3.0+ stack. */
  private envelopeSize = MAX_ENVELOPE_SIZE;
  /** The size a host's refusal stepped the client down to (envelopeSize.ts): Identify never raises it again. */
  private envelopeCap = Number.POSITIVE_INFINITY;

  constructor(connection: ConnectionInput | Connection, options: ClientOptions = {}) {
    this.connection = parseConnection(connection);
    this.plan = checkPolicy(this.connection, options.env !== undefined ? { env: options.env } : {});
    const mechanism = options.mechanism ?? createMechanism(this.connection.auth, this.connection.endpoint);
    this.session = new WinRMSession({
      connection: this.connection,
      plan: this.plan,
      mechanism,
      observer: options.observer,
      maxEnvelopeSize: MAX_ENVELOPE_SIZE,
      maxEnvelopeSizeCeiling: MAX_ENVELOPE_SIZE_CEILING,
    });
    this.messageId = options.messageId ?? (() => `uuid:${randomUUID().toUpperCase()}`);
    if (typeof this.connection.codePage === "number") this.outputCodePage = this.connection.codePage;
    this.reuseShell = options.reuseShell ?? true;
  }

  get stats(): ClientStats {
    return { ...this.session.stats, shells: this.shells };
  }

  /** WS-Management Identify (MS-WSMV 3.1.4.16), cached for the client's life. */
  identify(opts: { signal?: AbortSignal } = {}): Promise<IdentifyResult> {
    if (this.identity === undefined) {
      const p = this.doIdentify(opts.signal);
      this.identity = p;
      p.catch(() => {
        if (this.identity === p) this.identity = undefined;
      });
    }
    return this.identity;
  }

  async run(command: string, opts: RunOptions = {}): Promise<RunResult> {
    if (this.reuseShell) {
      // A second try only after the host dropped the kept shell (the command was not accepted): a fresh kept one.
      for (let attempt = 0; attempt < 2; attempt++) {
        const reused = await this.runInKeptShell(command, opts);
        if (reused === "busy") break;
        if (reused !== "gone") return reused;
      }
    }
    let result: RunResult | undefined;
    await this.withShell(opts, async (shell, codePage, signal) => {
      result = await collectResult(this.execute(shell, command, opts, codePage, signal), codePage, opts);
    });
    if (result === undefined) throw new ProtocolError("the command produced no result");
    return result;
  }

  /**
   * run() on a shell this client keeps open (shell/keptShell.ts): Command + Receive (+ the previous command's Signal
   * terminate) instead of Create + Command + Receive + Delete. "busy": the kept shell serves another run() (the
   * caller uses a shell of its own); "gone": the host dropped it before accepting the Command (safe to try again).
   */
  private async runInKeptShell(command: string, opts: RunOptions): Promise<RunResult | "busy" | "gone"> {
    const key = keptShellKey(opts);
    const scope = operationScope(opts);
    try {
      const cp = await this.resolveCodePageEarly(scope.signal);
      const kept = await this.keptShells.acquire(key, async () => {
        const shell = await this.createShell(opts, scope.signal);
        return { shell, codePage: await this.codePageFor(shell, cp, scope.signal) };
      });
      for (const stale of this.keptShells.takeStale()) await this.deleteQuietly(stale.shell, scope.signal);
      if (kept === undefined) return "busy";
      let ok = false;
      let gone = false;
      const accepted = kept.shell.acceptedCommands;
      try {
        const result = await collectResult(this.execute(kept.shell, command, opts, kept.codePage, scope.signal), kept.codePage, opts);
        ok = true;
        return result;
      } catch (err) {
        // The host no longer has the shell (idle timeout, restart) and so never accepted the Command: safe to run
        // the command once more in a fresh shell.
        if (isShellGone(err) && kept.shell.acceptedCommands === accepted) {
          gone = true;
          this.keptShells.discard(kept);
          return "gone";
        }
        throw err;
      } finally {
        if (ok) this.keptShells.release(kept);
        else if (!gone && !kept.shell.isDeleted) {
          this.keptShells.discard(kept);
          await this.deleteQuietly(kept.shell, scope.signal);
        }
      }
    } finally {
      scope.dispose();
    }
  }


  /** Output as it arrives, decoded; the last item is { type: "exit", exitCode }. Breaking out deletes the shell. */
  stream(command: string, opts: RunOptions = {}): AsyncIterable<OutputChunk> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const scope = operationScope(opts);
        let shell: RemoteShell | undefined;
        try {
          const cp = await self.resolveCodePageEarly(scope.signal);
          shell = await self.createShell(opts, scope.signal);
          const codePage = await self.codePageFor(shell, cp, scope.signal);
          yield* self.decodeStream(self.execute(shell, command, opts, codePage, scope.signal), codePage);
        } finally {
          scope.dispose();
          if (shell !== undefined) await self.deleteQuietly(shell, scope.signal);
        }
      },
    };
  }

  /** A shell for several commands: each command costs Command + Receive (+ Signal terminate of the previous one). */
  async openShell(opts: { env?: Record<string, string>; cwd?: string; signal?: AbortSignal } = {}): Promise<ShellHandle> {
    const cp = await this.resolveCodePageEarly(opts.signal);
    const shell = await this.createShell(opts, opts.signal);
    const codePage = await this.codePageFor(shell, cp, opts.signal);
    return {
      shellId: shell.shellId,
      run: async (command, ro = {}) => {
        const scope = operationScope(ro);
        try {
          return await collectResult(this.execute(shell, command, ro, codePage, scope.signal), codePage, ro);
        } finally {
          scope.dispose();
        }
      },
      stream: (command, ro = {}) => {
        // eslint-disable-next-line @typescript-eslint/no-this-alias
        const self = this;
        return {
          async *[Symbol.asyncIterator]() {
            const scope = operationScope(ro);
            try {
              yield* self.decodeStream(self.execute(shell, command, ro, codePage, scope.signal), codePage);
            } finally {
              scope.dispose();
            }
          },
        };
      },
      close: async () => {
        await shell.delete();
      },
    };
  }

  /**
   * A fresh shell for one command whose stdin streams over many Sends (provider/src/copy): Create, then `body` drives
   * Command / Send / Receive on it, then Delete. Gives the shell's output code page and the MaxEnvelopeSize requests
   * declare now (after Identify), so the caller can size each Send to fill an envelope.
   */
  async withStreamingShell<T>(
    body: (shell: RemoteShell, ctx: { codePage: number; envelopeSize: number; signal: AbortSignal | undefined }) => Promise<T>,
    opts: { signal?: AbortSignal } = {},
  ): Promise<T> {
    let result: { value: T } | undefined;
    await this.withShell(opts, async (shell, codePage, signal) => {
      result = { value: await body(shell, { codePage, envelopeSize: this.envelopeSize, signal }) };
    });
    if (result === undefined) throw new ProtocolError("the shell body produced no result");
    return result.value;
  }

  /** WS-Transfer Get of a winrm/config resource (MS-WSMV 3.1.4.1.28, MS-WSMV 4.2.1). */
  async getConfig(path: string, opts: { signal?: AbortSignal } = {}): Promise<ConfigTree> {
    const env = await this.invoke({ action: ACTION.get, resourceUri: configResourceUri(path) }, opts.signal);
    return parseConfigDocument(env.body).tree;
  }

  /**
   * Change settings of a winrm/config resource: Get the document, change the given leaves, Put the whole document
   * back (WS-Transfer Put replaces the resource; MS-WSMV 4.2.1). Keys may be nested with "/" ("Auth/Basic").
   * Returns the document the host answered with.
   */
  async putConfig(
    path: string,
    values: Record<string, string | number | boolean>,
    opts: { signal?: AbortSignal } = {},
  ): Promise<ConfigTree> {
    const resourceUri = configResourceUri(path);
    const normalized = normalizeConfigPath(path) ?? path;
    const current = await this.invoke({ action: ACTION.get, resourceUri }, opts.signal);
    const tree = parseConfigDocument(current.body).tree;
    for (const [key, value] of Object.entries(values)) setLeaf(tree, key, String(value), normalized);
    const env = await this.invoke(
      { action: ACTION.put, resourceUri, body: renderConfigDocument(normalized, tree) },
      opts.signal,
    );
    // Windows answers a Put with the updated document; an empty PutResponse means "as sent".
    return env.body.children.length > 0 ? parseConfigDocument(env.body).tree : tree;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const kept of this.keptShells.drain()) await this.deleteQuietly(kept.shell, AbortSignal.timeout(this.connection.timeouts.readMs));
    this.closed = true;
    await this.session.close();
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** Send one WS-Man request; decode faults; check RelatesTo (WS-Addressing: the answer is to this request). */
  private invoke(req: WSManRequest, signal?: AbortSignal): Promise<Envelope> {
    return this.withEnvelopeStepDown(() => this.invokeOnce(req, signal), signal);
  }

  private async invokeOnce(req: WSManRequest, signal?: AbortSignal, envelopeSize?: number): Promise<Envelope> {
    const { xml, messageId } = this.buildRequestFor(req, envelopeSize);
    const idempotent = IDEMPOTENT_ACTIONS.has(req.action);
    let res: SoapResponse;
    try {
      res = await this.session.post(xml, signal, { idempotent });
    } catch (err) {
      throw namedStep(err, req.action, idempotent);
    }
    return this.checkResponse(res, messageId);
  }

  /**
   * Run one request; when the host refuses the MaxEnvelopeSize it declared (envelopeSize.ts), lower the size for this
   * client's connection to the host's limit and run the request once more. Refused before its action ran, so the
   * retry cannot run anything twice.
   */
  private async withEnvelopeStepDown<T>(attempt: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const declared = this.envelopeSize;
    try {
      return await attempt();
    } catch (err) {
      if (!isEnvelopeSizeRefused(err)) throw err;
      // Another request may have stepped down already while this one was in flight.
      if (this.envelopeSize >= declared) {
        const next = steppedDownEnvelopeSize(declared, await this.readEnvelopeLimit(signal));
        if (next === undefined) throw err;
        this.envelopeSize = next;
        this.envelopeCap = next;
        this.session.setMaxEnvelopeSize(next);
      }
      return attempt();
    }
  }

  /** The host's MaxEnvelopeSizekb from winrm/config, in octets; undefined when it cannot be read (not an admin). */
  private async readEnvelopeLimit(signal: AbortSignal | undefined): Promise<number | undefined> {
    try {
      const env = await this.invokeOnce({ action: ACTION.get, resourceUri: RESOURCE_URI.config }, signal, PROBE_ENVELOPE_SIZE);
      return envelopeLimitFromConfig(parseConfigDocument(env.body).tree);
    } catch (err) {
      if (err instanceof WSManFaultError || err instanceof ProtocolError) return undefined;
      throw err;
    }
  }

  private buildRequestFor(req: WSManRequest, envelopeSize = this.envelopeSize): { xml: string; messageId: string } {
    return buildRequest({
      to: this.connection.endpoint,
      action: req.action,
      resourceUri: req.resourceUri,
      ...(req.selectors !== undefined ? { selectors: req.selectors } : {}),
      ...(req.options !== undefined ? { options: req.options } : {}),
      ...(req.body !== undefined ? { body: req.body } : {}),
      operationTimeoutSec: this.connection.timeouts.operationTimeoutSec,
      maxEnvelopeSize: envelopeSize,
      messageId: this.messageId(),
    });
  }

  /**
   * A response may not pass the MaxEnvelopeSize we declared (MS-WSMV 2.2.4.20). The HTTP layer caps bodies at the
   * largest size the client ever declares; this holds each response to the size in force (UTF-16 length: never more
   * than the UTF-8 bytes, so nothing valid is refused).
   */
  private checkEnvelopeSize(res: SoapResponse): void {
    // Characters never outnumber UTF-8 bytes: within the size in bytes, the text need not be made to count them.
    if (res.utf8 !== undefined && res.utf8.length <= this.envelopeSize) return;
    if (res.xml.length > this.envelopeSize) {
      throw new LimitExceededError("response envelope characters", this.envelopeSize, "the host sent a response larger than the MaxEnvelopeSize we declared");
    }
  }

  /** Parse a response envelope; decode faults; check RelatesTo (WS-Addressing: the answer is to this request). */
  private checkResponse(res: SoapResponse, messageId: string): Envelope {
    this.checkEnvelopeSize(res);
    const env = parseEnvelope(res.xml);
    const fault = faultFromEnvelope(env, res.status);
    if (fault !== undefined) throw faultToActOn(fault, { sessionSeals: this.session.encrypted, answerSealed: res.sealed });
    if (res.status !== 200) throw new HttpError(res.status, "the WinRM service answered with an error and no fault");
    if (env.relatesTo !== undefined && env.relatesTo.trim().toLowerCase() !== messageId.toLowerCase()) {
      throw new ProtocolError(`the response relates to ${env.relatesTo}, not to our request ${messageId}`);
    }
    return env;
  }

  /**
   * A Receive: the response is read by the streaming scanner (wsman/receiveScanner.ts) when it is a plain
   * ReceiveResponse, else by the full parser with fault decoding, exactly as invoke() does.
   */
  private invokeReceive(req: WSManRequest, signal?: AbortSignal): Promise<ReceiveResult> {
    return this.withEnvelopeStepDown(() => this.invokeReceiveOnce(req, signal), signal);
  }

  private async invokeReceiveOnce(req: WSManRequest, signal?: AbortSignal): Promise<ReceiveResult> {
    const { xml, messageId } = this.buildRequestFor(req);
    let res: SoapResponse;
    try {
      res = await this.session.post(xml, signal, { idempotent: false });
    } catch (err) {
      throw namedStep(err, req.action, false);
    }
    this.checkEnvelopeSize(res);
    const scanned = res.status === 200 ? scanReceiveResponse(res.utf8 ?? res.xml) : undefined;
    if (scanned === undefined) return parseReceiveResponse(this.checkResponse(res, messageId));
    if (scanned.relatesTo !== undefined && scanned.relatesTo.toLowerCase() !== messageId.toLowerCase()) {
      throw new ProtocolError(`the response relates to ${scanned.relatesTo}, not to our request ${messageId}`);
    }
    return scanned.result;
  }

  private readonly invoker: WSManInvoker = {
    invoke: (req, signal) => this.invoke(req, signal),
    invokeReceive: (req, signal) => this.invokeReceive(req, signal),
  };

  private async doIdentify(signal: AbortSignal | undefined): Promise<IdentifyResult> {
    const res = await this.session.post(buildIdentifyRequest(), signal, { idempotent: true });
    if (res.status !== 200) {
      const fault = faultFromEnvelope(parseEnvelope(res.xml), res.status);
      throw fault ?? new HttpError(res.status, "Identify failed");
    }
    const r = parseIdentifyResponse(res.xml);
    let parsed: { os: string; sp: string; stack: string } | undefined;
    try {
      parsed = parseProductVersion(r.productVersion);
    } catch {
      parsed = undefined;
    }
    this.envelopeSize = Math.min(maxEnvelopeSizeForStack(parsed?.stack), this.envelopeCap);
    this.session.setMaxEnvelopeSize(this.envelopeSize);
    return Object.freeze({
      protocolVersion: r.protocolVersion,
      productVendor: r.productVendor,
      productVersion: r.productVersion,
      ...(parsed !== undefined ? { os: parsed.os, servicePack: parsed.sp, stack: parsed.stack } : {}),
      securityProfiles: Object.freeze([...r.securityProfiles]),
    });
  }

  /**
   * codePage "auto": hosts on NT 6+ honour WINRS_CODEPAGE 65001; NT 5.x hosts print in their OEM page, learned with
   * chcp in the first shell (codePageFor). One Identify per client decides which.
   */
  private async resolveCodePageEarly(signal: AbortSignal | undefined): Promise<number | undefined> {
    if (this.outputCodePage !== undefined) return this.outputCodePage;
    const id = await this.identify({ signal });
    if (id.os === undefined || honoursUtf8CodePage(id.os)) {
      this.outputCodePage = UTF8_CODE_PAGE;
      return UTF8_CODE_PAGE;
    }
    return undefined;
  }

  /** The code page of this shell's output: known, or learned by running chcp in it (legacy hosts). */
  private async codePageFor(shell: RemoteShell, known: number | undefined, signal: AbortSignal | undefined): Promise<number> {
    if (known !== undefined) return known;
    if (this.outputCodePage !== undefined) return this.outputCodePage;
    const out: Buffer[] = [];
    for await (const ev of shell.execute("chcp", [], { signal })) {
      if (ev.kind === "output" && ev.stream === "stdout") out.push(ev.data);
    }
    // The number is ASCII in every OEM page, so latin1 is a safe way to read it.
    const cp = parseChcp(Buffer.concat(out).toString("latin1"));
    if (cp === undefined) throw new ProtocolError("could not read the console code page from chcp; set codePage explicitly");
    this.outputCodePage = cp;
    return cp;
  }

  private async createShell(
    opts: { env?: Record<string, string>; cwd?: string },
    signal: AbortSignal | undefined,
  ): Promise<RemoteShell> {
    if (this.closed) throw new ConfigurationError("client", "is closed; create a new WinRMClient");
    const requested = typeof this.connection.codePage === "number" ? this.connection.codePage : UTF8_CODE_PAGE;
    const shell = await RemoteShell.create(
      this.invoker,
      { env: opts.env, cwd: opts.cwd, codePage: requested, noProfile: true },
      signal,
    );
    this.shells++;
    return shell;
  }

  private async withShell(
    opts: RunOptions,
    body: (shell: RemoteShell, codePage: number, signal: AbortSignal | undefined) => Promise<void>,
  ): Promise<void> {
    const scope = operationScope(opts);
    let shell: RemoteShell | undefined;
    try {
      const cp = await this.resolveCodePageEarly(scope.signal);
      shell = await this.createShell(opts, scope.signal);
      const codePage = await this.codePageFor(shell, cp, scope.signal);
      await body(shell, codePage, scope.signal);
    } finally {
      scope.dispose();
      if (shell !== undefined) await this.deleteQuietly(shell, scope.signal);
    }
  }

  private execute(
    shell: RemoteShell,
    command: string,
    opts: RunOptions,
    codePage: number,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<ShellEvent> {
    const line =
      opts.shell === "powershell" ? powershellCommandLine(command) : { command, args: [] as string[] };
    const stdin =
      opts.stdin === undefined ? undefined : typeof opts.stdin === "string" ? encodeInput(opts.stdin, codePage) : opts.stdin;
    return shell.execute(line.command, line.args, { stdin, signal });
  }

  private async *decodeStream(events: AsyncGenerator<ShellEvent>, codePage: number): AsyncGenerator<OutputChunk> {
    const dec = { stdout: streamDecoder(codePage), stderr: streamDecoder(codePage) };
    for await (const ev of events) {
      if (ev.kind === "output") {
        const text = dec[ev.stream].write(ev.data);
        if (text !== "") yield { type: ev.stream, text };
      } else {
        for (const s of ["stdout", "stderr"] as const) {
          const rest = dec[s].end();
          if (rest !== "") yield { type: s, text: rest };
        }
        yield { type: "exit", exitCode: ev.exitCode };
      }
    }
  }

  /**
   * Delete is cleanup: after success it uses the caller's signal; after an abort or timeout it still tries, bounded
   * by the read timeout, so the host does not keep an orphan shell (MaxShellsPerUser). Its errors never mask the
   * operation's own result.
   */
  private async deleteQuietly(shell: RemoteShell, signal: AbortSignal | undefined): Promise<void> {
    if (shell.isDeleted || this.closed) return;
    const cleanup = signal?.aborted ? AbortSignal.timeout(this.connection.timeouts.readMs) : signal;
    try {
      await shell.delete(cleanup);
    } catch {
      // best effort
    }
  }
}

/** "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command" -> "Command". */
function actionName(action: string): string {
  return action.slice(action.lastIndexOf("/") + 1);
}

/** A connection lost in the middle of a request, restated with the WS-Management step it broke (errors name steps). */
function namedStep(err: unknown, action: string, idempotent: boolean): unknown {
  if (!(err instanceof ConnectionLostError) || err.step !== undefined) return err;
  const step = actionName(action);
  const resent = idempotent
    ? "it was sent once more on a new connection where that was safe"
    : "it was not sent again, because repeating it could act twice";
  return new ConnectionLostError(`${step}: ${err.message}; ${resent}`, { cause: err, step });
}

/** Combine the caller's signal with timeoutMs; the timeout aborts with a TimeoutError as the reason. */
function operationScope(opts: { signal?: AbortSignal; timeoutMs?: number }): {
  signal: AbortSignal | undefined;
  dispose: () => void;
} {
  const signals: AbortSignal[] = [];
  if (opts.signal !== undefined) signals.push(opts.signal);
  let timer: NodeJS.Timeout | undefined;
  if (opts.timeoutMs !== undefined) {
    if (!(opts.timeoutMs > 0)) throw new ConfigurationError("timeoutMs", "must be a positive number of milliseconds");
    const ctl = new AbortController();
    const ms = opts.timeoutMs;
    timer = setTimeout(() => {
      ctl.abort(new TimeoutErrorReason(ms));
    }, ms);
    signals.push(ctl.signal);
  }
  if (opts.signal?.aborted) {
    if (timer !== undefined) clearTimeout(timer);
    throw abortReason(opts.signal);
  }
  return {
    signal: signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals),
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

class TimeoutErrorReason extends TimeoutError {
  constructor(ms: number) {
    super(`the operation did not finish within timeoutMs (${ms} ms)`);
  }
}

/** Set "Key" or "Auth/Basic" in a config tree; unknown keys are refused with the known ones listed. */
function setLeaf(tree: ConfigTree, key: string, value: string, path: string): void {
  const parts = key.split(/[/.]/).filter((p) => p !== "");
  let node: ConfigTree = tree;
  for (let i = 0; i < parts.length; i++) {
    const k = parts[i] as string;
    const match = Object.keys(node).find((n) => n.toLowerCase() === k.toLowerCase());
    if (match === undefined) {
      throw new ConfigurationError(
        `values.${key}`,
        `${path} has no setting "${k}"; known: ${Object.keys(node).join(", ")}`,
      );
    }
    const next = node[match];
    if (i === parts.length - 1) {
      if (typeof next === "object") {
        throw new ConfigurationError(`values.${key}`, `"${match}" is a group of settings; name one of its keys`);
      }
      node[match] = value;
      return;
    }
    if (typeof next !== "object") {
      throw new ConfigurationError(`values.${key}`, `"${match}" is a single setting, not a group`);
    }
    node = next;
  }
}

/** Gather a command's output and exit code, decoded from the shell's code page (one place for run() and a shell's run()). */
async function collectResult(events: AsyncGenerator<ShellEvent>, codePage: number, opts: RunOptions): Promise<RunResult> {
  const { shell } = opts;
  const limit = opts.maxOutputBytes ?? DEFAULT_MAX_RUN_OUTPUT_BYTES;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let collected = 0;
  let exitCode = 0;
  for await (const ev of events) {
    if (ev.kind === "output") {
      collected += ev.data.length;
      // Leaving the loop returns the generator, which releases the command as any early exit does.
      if (collected > limit) {
        throw new LimitExceededError("run() output bytes", limit, "the command printed more than run() collects; use stream() for large output, or raise maxOutputBytes");
      }
      (ev.stream === "stdout" ? out : err).push(ev.data);
    } else exitCode = ev.exitCode;
  }
  let stderr = decodeOutput(Buffer.concat(err), codePage);
  if (shell === "powershell") stderr = cleanPowerShellStderr(stderr);
  return Object.freeze({ stdout: decodeOutput(Buffer.concat(out), codePage), stderr, exitCode });
}
