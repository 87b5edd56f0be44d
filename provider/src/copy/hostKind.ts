/**
 * Which remote writer a host gets, from Identify (one request, cached by the client): PowerShell on WinRM 2.0 and
 * later, which shipped with PowerShell 2.0 (Windows Management Framework, KB968930; built into 7 / 2008 R2); cmd
 * alone on WinRM 1.1 hosts (XP / 2003 with KB936059, Vista / 2008 without WMF), where PowerShell is absent (2003) or
 * at most 1.0 (an optional feature of 2008: no try/finally, so not used).
 */
import type { IdentifyResult } from "../client.js";

export type WriterKind = "powershell" | "cmd";

export function writerKindFor(id: IdentifyResult): WriterKind {
  const major = Number((id.stack ?? "").split(".")[0]);
  // A host whose ProductVersion we cannot read is a newer, non-Microsoft-shaped one: PowerShell.
  if (id.stack === undefined || !Number.isInteger(major)) return "powershell";
  return major >= 2 ? "powershell" : "cmd";
}
