/**
 * close() of a client, but never waited for longer than a bound: when the CLI closes a client the outcome is already
 * decided, so a close() that does not settle (a socket whose end never comes) must not hold back the exit status.
 */
import type { WinRMClient } from "../client.js";

/** How long the CLI waits for close() (a Delete of an open shell, a socket's end) before exiting anyway. */
export const CLOSE_BOUND_MS = 2_000;

/** Resolves when close() settles (its error ignored) or after `boundMs`, whichever is first. */
export async function closeWithin(client: Pick<WinRMClient, "close">, boundMs = CLOSE_BOUND_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    // Not unref'd: when nothing else is pending, this timer is what lets the await end (an unsettled top-level await
    // would exit 13).
    timer = setTimeout(resolve, boundMs);
  });
  try {
    await Promise.race([client.close().catch(() => undefined), bound]);
  } finally {
    clearTimeout(timer);
  }
}
