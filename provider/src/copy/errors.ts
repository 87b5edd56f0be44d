/** The errors of file copy (provider/src/copy): subclasses of WinRMError with stable codes, naming the remote path. */
import { WinRMError } from "../errors.js";

/**
 * The hash the host computed of what it wrote differs from the local file's: nothing was moved to the final path
 * (the temporary file is removed, so the next copy starts over).
 */
export class CopyVerificationError extends WinRMError {
  readonly remotePath: string;
  readonly algorithm: string;
  readonly expected: string;
  readonly actual: string;
  constructor(remotePath: string, algorithm: string, expected: string, actual: string) {
    super(
      "WINRM_COPY_VERIFY",
      `${remotePath}: the host's ${algorithm} of the copied file is ${actual || "(none)"}, the local file's is ${expected}; ` +
        `the file was not put in place; run the copy again`,
    );
    this.remotePath = remotePath;
    this.algorithm = algorithm;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A step of the copy ran on the host and failed (exit code and the host's error text). */
export class CopyRemoteError extends WinRMError {
  readonly remotePath: string;
  readonly step: string;
  readonly exitCode: number;
  constructor(remotePath: string, step: string, exitCode: number, detail: string) {
    super("WINRM_COPY_FAILED", `${remotePath}: ${step} failed on the host (exit code ${exitCode})${detail !== "" ? `: ${detail}` : ""}`);
    this.remotePath = remotePath;
    this.step = step;
    this.exitCode = exitCode;
  }
}
