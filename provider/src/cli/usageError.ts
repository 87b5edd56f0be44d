/** A command line the CLI cannot act on: exit status 2, nothing sent. The message names the flag and the fix. */
export class UsageError extends Error {
  /** The flag at fault, e.g. "--ca", when one is. */
  readonly flag: string | undefined;
  constructor(message: string, flag?: string) {
    super(message);
    this.name = "UsageError";
    this.flag = flag;
  }
}
