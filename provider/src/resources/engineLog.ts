/**
 * Lines for the Pulumi engine's log while a resource operation runs (RemoteCommand's `logging`).
 *
 * How a dynamic provider can log, on @pulumi/pulumi 3.248: the dynamic-provider process
 * (node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js) gets the engine's address as process.argv[2] but never
 * puts it into the SDK's settings, so `pulumi.log.*` there has no engine and falls back to console.log; and the
 * provider functions get no URN. What does reach the user: the engine reads every line the plugin writes to its
 * stdout and stderr and relays it as an Info diagnostic with an empty URN (pulumi sdk
 * go/common/resource/plugin/plugin.go `runtrace`, for dynamic-provider binaries), which `pulumi up` shows at once,
 * under the stack resource (`pulumi:pulumi:Stack <project>-<stack> creating (5s) <line>`), and again in the
 * Diagnostics summary at the end. So the lines go to stderr: stdout's first line is the plugin's port handshake,
 * stderr can be written at any time. Each line is prefixed with what produced it (no URN is known), control
 * characters are dropped (a host could move the cursor of the user's terminal), and a line is cut at MAX_LINE.
 */

/** Longest line written; longer output is written in pieces of this size. */
export const MAX_LINE = 4096;

export type LogWriter = (line: string) => void;

/** The default writer: one line to the provider process's stderr (relayed live by the engine). */
export const stderrWriter: LogWriter = (line) => {
  process.stderr.write(`${line}\n`);
};

/** C0 controls (except tab) and DEL, C1 controls: never written to the user's terminal. */
function printable(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if ((c < 0x20 && c !== 0x09) || (c >= 0x7f && c < 0xa0)) continue;
    out += ch;
  }
  return out;
}

/**
 * Splits streamed text into lines and writes each with `prefix`. Text may arrive in any pieces; `end()` writes what
 * is left. Bounded: a partial line longer than MAX_LINE is written as it is.
 */
export class LineLogger {
  private pending = "";

  constructor(
    private readonly prefix: string,
    private readonly write: LogWriter = stderrWriter,
  ) {}

  push(text: string): void {
    this.pending += text;
    let nl = this.pending.indexOf("\n");
    while (nl >= 0) {
      this.emit(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
      nl = this.pending.indexOf("\n");
    }
    while (this.pending.length > MAX_LINE) {
      this.emit(this.pending.slice(0, MAX_LINE));
      this.pending = this.pending.slice(MAX_LINE);
    }
  }

  end(): void {
    if (this.pending !== "") this.emit(this.pending);
    this.pending = "";
  }

  private emit(raw: string): void {
    const line = printable(raw);
    // The engine drops blank lines (strings.TrimSpace); so do we.
    if (line.trim() === "") return;
    this.write(`${this.prefix}${line}`);
  }
}
