/**
 * Which command lines read stdin while they run rather than all at once when it closes: `powershell ...` whose
 * script reads [Console]::In line by line (the copy writer, psFileCommands.ts). Every other program keeps the
 * shell's default: Pending until Send End="true", then run with the whole input.
 */
import { splitArgs } from "./process.js";
import type { HostProfile } from "./profiles.js";
import { powershellStreamsStdin } from "./powershell.js";

export function commandStreamsStdin(commandLine: string, profile: HostProfile): boolean {
  if (!profile.hasPowerShell) return false;
  const words = splitArgs(commandLine);
  const stem = (words[0] ?? "").toLowerCase().split(/[\\/]/).pop()?.replace(/\.exe$/, "");
  return stem === "powershell" && powershellStreamsStdin(words.slice(1));
}
