/**
 * Where the emulated host knowingly answers unlike the recorded Windows hosts, each with its reason. The replay test
 * fails on any difference not matched here and reports entries that no longer match anything (remove them then).
 */

import type { Difference } from "./structure.js";

export interface KnownDifference {
  id: string;
  reason: string;
  matches(source: string, d: Difference): boolean;
}

export const EMULATOR_FIX_IN_PROGRESS = "emulator fix in progress (issue 11)";
const REPORTED = "reported for the emulator, not yet in issue 11's list";

function inSession(file: string, index?: number): (source: string) => boolean {
  return (source) => (index === undefined ? source.startsWith(`pypsrp/${file}#`) : source === `pypsrp/${file}#${index}`);
}

export const KNOWN_DIFFERENCES: KnownDifference[] = [
  {
    id: "unknown-command-id-fault",
    reason:
      `${EMULATOR_FIX_IN_PROGRESS}: for an unknown CommandId the emulator puts the specific text in s:Reason (Windows: ` +
      "the generic sentence of w:InvalidSelectors there, the specific one in f:Message), adds a sentence Windows does " +
      "not send, and leaves out w:FaultDetail .../UnexpectedSelectors",
    matches: (s, d) =>
      (inSession("test_winrs_bad_cmd_id.yml", 2)(s) || inSession("test_winrs_fail_poll_process.yml", 1)(s)) &&
      (d.path.endsWith("/Reason[1]/Text[0]") || d.path.endsWith("/Detail[2]/FaultDetail[0]")),
  },
  {
    id: "missing-program-command",
    reason: `${EMULATOR_FIX_IN_PROGRESS}: Command for a program that does not exist, with WINRS_SKIP_CMD_SHELL, answers 200 where Windows faults (w:InternalError, 2147942402)`,
    matches: (s, d) => inSession("test_winrs_no_cmd_shell.yml", 1)(s) && (d.path === "Header/Action" || d.path === "Body/Fault[0]"),
  },
  {
    id: "receive-on-failed-process",
    reason:
      `${REPORTED}: Receive on a command whose process could not be polled: Windows answers w:InvalidParameter ` +
      "(87, ProviderFault of the Shell cmd plugin, FaultDetail InvalidValue), the emulator w:InvalidSelectors",
    matches: (s, d) =>
      inSession("test_winrs_fail_poll_process.yml", 1)(s) &&
      (d.path.endsWith("/Subcode[1]/Value[0]") || d.path.includes("/Detail[2]/WSManFault[1]")),
  },
  {
    id: "environment-variable-names",
    reason:
      `${REPORTED}: Create with rsp:Environment variables whose names hold punctuation (e.g. "_-(){}[]<>*+-/\\?") ` +
      "is refused with w:SchemaValidationError; Windows accepts it, so the whole recorded session differs",
    matches: (s) => inSession("test_winrs_environment.yml")(s),
  },
  {
    id: "long-running-command-timing",
    reason:
      "intentional: the recorded session runs an interactive powershell.exe that waits on stdin, so Windows answers " +
      "the Receives with w:TimedOut; the emulated host has no interactive PowerShell and its command ends at once " +
      "(so its first Receive already ends the streams with Done, and the last one has no data left)",
    matches: (s, d) =>
      ((inSession("test_winrs_operation_timeout.yml", 3)(s) || inSession("test_winrs_operation_timeout.yml", 4)(s)) &&
        (d.path === "Header/Action" || d.path === "Body/Fault[0]")) ||
      ((inSession("test_winrs_operation_timeout.yml", 2)(s) || inSession("test_winrs_operation_timeout.yml", 5)(s)) &&
        d.path.startsWith("Body/ReceiveResponse[0]/")),
  },
  {
    id: "enumerate-shells",
    reason: `${EMULATOR_FIX_IN_PROGRESS}: Enumerate on the shell resource is refused with a fault; Windows lists its shells`,
    matches: (s, d) =>
      (inSession("test_psrp_disconnect_runspaces.yml", 11)(s) || inSession("test_psrp_disconnected_commands.yml", 10)(s)) &&
      (d.path === "Header/Action" || d.path === "Body/EnumerateResponse[0]"),
  },
  {
    id: "invalid-operation-timeout",
    reason:
      `${EMULATOR_FIX_IN_PROGRESS}: an OperationTimeout of PT-1S is not refused with a:InvalidMessageInformationHeader ` +
      "(2150858767) as Windows does; the emulator's answer to this Get is not even a SOAP envelope",
    matches: (s) => inSession("test_psrp_is_alive_other_wsman_error.yml", 3)(s),
  },
];
