import { readFileSync, statSync } from "node:fs";

/** A credential in a file (a mounted Secret's key), read again whenever the file changes. */
export interface SecretFile {
  readonly path: string;
  /** The file's content, surrounding whitespace trimmed. Throws when it cannot be read or is empty. */
  read(): string;
}

/**
 * Reads the file on first use and again whenever its modification time, size or inode changed, so a rotated Secret
 * is used by the next message without a restart (Kubernetes swaps the mounted files through a `..data` symlink:
 * stat follows it to the new file). The error never quotes the content.
 */
export function createSecretFile(path: string): SecretFile {
  let cached: { stamp: string; value: string } | undefined;
  return {
    path,
    read() {
      let stamp: string;
      try {
        const stat = statSync(path);
        stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      } catch (error) {
        throw new Error(`cannot read the secret file ${path}: ${(error as { code?: string }).code ?? (error as Error).message}`);
      }
      if (cached?.stamp === stamp) return cached.value;
      const value = readFileSync(path, "utf8").trim();
      if (value === "") throw new Error(`the secret file ${path} is empty`);
      cached = { stamp, value };
      return value;
    },
  };
}
