/**
 * The configuration is unusable. Lists every problem found, not just the first, so that one restart fixes them
 * all. `main` prints the message and exits with status 2.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}
