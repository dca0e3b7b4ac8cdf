/** A command line the CLI cannot run: wrong flags, missing or malformed values. Exits with code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";

  /**
   * @param message What is wrong, in the words of the flags the user typed.
   * @param command The command whose `--help` explains the fix; undefined for the top level.
   */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}
