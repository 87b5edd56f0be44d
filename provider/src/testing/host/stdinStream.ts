/**
 * Stdin that arrives while the program runs (each WinRM Send hands its bytes over at once, MS-WSMV 3.1.4.13), for
 * programs that read it line by line as a console program reads a pipe: PowerShell's [Console]::In.ReadLine().
 */
export class StdinStream {
  private buffered: Buffer[] = [];
  private ended = false;
  private waiter: (() => void) | undefined;

  push(data: Buffer): void {
    if (this.ended) return;
    if (data.length > 0) this.buffered.push(data);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next line without its CR LF (bytes read as Latin-1), or undefined at the end of the input. */
  async readLine(): Promise<string | undefined> {
    for (;;) {
      let nl = -1;
      let scanned = 0;
      for (const b of this.buffered) {
        const at = b.indexOf(10);
        if (at >= 0) {
          nl = scanned + at;
          break;
        }
        scanned += b.length;
      }
      if (nl >= 0 || (this.ended && this.buffered.length > 0)) {
        const all = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered);
        const end = nl >= 0 ? nl : all.length;
        let line = all.subarray(0, end);
        if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
        const rest = all.subarray(Math.min(end + 1, all.length));
        this.buffered = rest.length > 0 ? [rest] : [];
        return line.toString("latin1");
      }
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}
