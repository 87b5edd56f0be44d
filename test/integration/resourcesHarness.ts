/**
 * Emulated hosts for the resource tests: a real EmulatedHost (profile + locale + cmd interpreter + registry + WinRM
 * config store) behind a WinRMEmulator on 127.0.0.1, and the connection input a Pulumi program would give.
 */
import type { ConnectionInput } from "../../provider/src/connection.js";
import { closeAllClients } from "../../provider/src/resources/clientPool.js";
import { EmulatedHost, type EmulatedHostOptions, type RunningCommand } from "../../provider/src/testing/index.js";
import type { Locale } from "../../provider/src/testing/index.js";
import type { ProfileName } from "../../provider/src/testing/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";

export const USER = "CORP\\deploy";
export const PASSWORD = "Res0urce-Passw0rd!";

export interface ResourceHost {
  host: EmulatedHost;
  emu: WinRMEmulator;
  connection: ConnectionInput;
  /** Command lines the host ran, in order. */
  commands: string[];
  /** Replace how the host runs a command line (return undefined to run it normally). */
  intercept(fn: ((line: string) => RunningCommand | undefined) | undefined): void;
  close(): Promise<void>;
}

export async function startHost(
  profile: ProfileName,
  locale: Locale = "en-US",
  extra: Partial<EmulatedHostOptions> = {},
): Promise<ResourceHost> {
  const host = new EmulatedHost({ profile, locale, domain: "CORP", ...extra });
  const commands: string[] = [];
  let hook: ((line: string) => RunningCommand | undefined) | undefined;
  const original = host.startCommand.bind(host);
  // Test hook: every command the WinRM shell starts goes through here.
  host.startCommand = (line, opts) => {
    commands.push(line);
    return hook?.(line) ?? original(line, opts);
  };
  const emu = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }] });
  const connection: ConnectionInput = {
    endpoint: emu.url,
    auth: { mechanism: "negotiate", username: USER, password: PASSWORD },
  };
  return {
    host,
    emu,
    connection,
    commands,
    intercept(fn) {
      hook = fn;
    },
    async close() {
      await closeAllClients();
      await emu.close();
    },
  };
}

/** A RunningCommand that prints `stdout` and exits `exitCode` without touching the host. */
export function fakeCommand(stdout: string, exitCode = 0, stderr = ""): RunningCommand {
  return {
    readsStdin: false,
    run: async () => ({ stdout: Buffer.from(stdout, "latin1"), stderr: Buffer.from(stderr, "latin1"), exitCode }),
  };
}
