/**
 * The one shell a copy's writes share (hostOps.ts withWriter): each command is released with the Signal terminate
 * MS-WSMV 3.1.4.14 asks for ("a final Signal message MUST also be issued for the command") just before the next
 * Command; the last one is released by the shell's Delete (MS-WSMV 3.1.4.4).
 */
import type { RemoteShell } from "../shell/remoteShell.js";
import type { ReceiveResult } from "../wsman/shell.js";
import { SIGNAL } from "../wsman/namespaces.js";

export class SharedShell {
  private previous: string | undefined;

  constructor(
    private readonly shell: RemoteShell,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async command(line: string, args: string[]): Promise<string> {
    const prev = this.previous;
    this.previous = undefined;
    if (prev !== undefined) await this.shell.signal(prev, SIGNAL.terminate, this.signal);
    const id = await this.shell.command(line, args, this.signal);
    this.previous = id;
    return id;
  }

  send(commandId: string, data: Uint8Array, end: boolean): Promise<void> {
    return this.shell.send(commandId, data, end, this.signal);
  }

  receive(commandId: string): Promise<ReceiveResult> {
    return this.shell.receive(commandId, this.signal);
  }
}
