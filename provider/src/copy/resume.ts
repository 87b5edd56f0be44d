/**
 * What to do with one file, from what the host already has: its final path and the temporary `.partial` beside it
 * (both with length and hash computed on the host). Pure: the local prefix hash is asked for only when needed.
 */

export interface RemoteFileState {
  readonly length: number;
  /** Upper-case hex, as the host printed it. */
  readonly hash: string;
}

export type CopyDecision =
  /** The final file already has the local content. */
  | { readonly kind: "skip" }
  /** Append to the existing `.partial` from this byte (0: start a new one; `discardPartial` says whether one must go first). */
  | { readonly kind: "write"; readonly fromByte: number; readonly discardPartial: boolean };

export async function decideCopy(
  local: { readonly length: number; readonly hash: string },
  final: RemoteFileState | undefined,
  partial: RemoteFileState | undefined,
  localPrefixHash: (length: number) => Promise<string>,
): Promise<CopyDecision> {
  if (final !== undefined && final.length === local.length && sameHash(final.hash, local.hash)) return { kind: "skip" };
  if (partial === undefined) return { kind: "write", fromByte: 0, discardPartial: false };
  // A partial longer than the file, or whose bytes differ from ours, is another copy's: start over.
  if (partial.length > local.length || partial.length === 0) return { kind: "write", fromByte: 0, discardPartial: true };
  if (!sameHash(partial.hash, await localPrefixHash(partial.length))) return { kind: "write", fromByte: 0, discardPartial: true };
  return { kind: "write", fromByte: partial.length, discardPartial: false };
}

export function sameHash(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
