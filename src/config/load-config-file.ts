import { readFileSync } from "node:fs";
import { parseConfigDocument } from "../auth/config-document.js";
import { ConfigError } from "./config-error.js";

/** Reads a file's text; throws when it cannot. Replaceable in tests. */
export type ReadText = (path: string) => string;

/** Reads a file from disk as UTF-8. */
export const readTextFile: ReadText = (path) => readFileSync(path, "utf8");

/** The file a variable names, as the parse step of {@link loadConfigFile} gets it. */
export interface ConfigFile {
  /** The path, trimmed. */
  readonly path: string;
  /** `VARIABLE (path)`: how every problem names the file. */
  readonly source: string;
}

export interface LoadConfigFileOptions {
  /** Reads the file. Default: {@link readTextFile}. */
  readonly readText?: ReadText;
  /**
   * The problem reported when the file cannot be read; `reason` is the error's code (ENOENT, EACCES, ...) or
   * else its message. Default: `VARIABLE (path): cannot read it: reason`.
   */
  readonly cannotRead?: (file: ConfigFile & { readonly variable: string }, reason: string) => string;
}

/**
 * Loads the YAML or JSON document the file named by `variable` holds and checks it with `parse`. Undefined when
 * the variable is unset or blank.
 *
 * @throws ConfigError naming the variable and the file when the file cannot be read, is not YAML or JSON, or
 *   holds no mapping at the top level; whatever `parse` throws (a ConfigError listing its problems) passes through.
 */
export function loadConfigFile<T>(
  env: Readonly<Record<string, string | undefined>>,
  variable: string,
  parse: (document: Record<string, unknown>, file: ConfigFile) => T,
  options: LoadConfigFileOptions = {},
): T | undefined {
  const path = env[variable]?.trim();
  if (path === undefined || path === "") return undefined;
  const file = { path, source: `${variable} (${path})` };
  const readText = options.readText ?? readTextFile;
  let text: string;
  try {
    text = readText(path);
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    const problem = options.cannotRead?.({ ...file, variable }, reason) ?? `${file.source}: cannot read it: ${reason}`;
    throw new ConfigError([problem]);
  }
  const parsed = parseConfigDocument(text, file.source);
  if ("problem" in parsed) throw new ConfigError([parsed.problem]);
  return parse(parsed.value, file);
}
