import { type FSWatcher, readFileSync, watch } from "node:fs";
import { dirname } from "node:path";
import { type CoreLogger, silentLogger } from "../core/ports/logger.js";
import type { TlsMaterial } from "./api-server.js";

/** Where the API port's TLS material is read from. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** UPDATE_MANAGER_TLS_CLIENT_CA_FILE. Default: none (no client certificate required). */
  readonly clientCaFile?: string;
}

export interface TlsFileWatcherOptions {
  readonly files: TlsFiles;
  /** Applies new material (`ApiServer.updateTls`); throws when it is unusable, and the old one stays. Required. */
  readonly apply: (material: TlsMaterial) => void;
  /** Change bursts (a Secret update touches several entries) are read once, this long after the last event. Default: 250 ms. */
  readonly debounceMs?: number;
  /** Files are also re-read this often, for file systems whose change events are unreliable. 0: never. Default: 60000 ms. */
  readonly pollIntervalMs?: number;
  /** Default: silent. */
  readonly logger?: CoreLogger;
  /** Reads a file. Default: fs.readFileSync. */
  readonly readFile?: (path: string) => Buffer;
}

export interface TlsFileWatcher {
  /** Re-reads the files now and applies them when they changed (what a change event leads to). */
  check(): void;
  close(): void;
}

/** Reads the TLS files once (at start-up, where a failure should stop the process). */
export function readTlsFiles(files: TlsFiles, readFile: (path: string) => Buffer = readFileSync): TlsMaterial {
  return {
    cert: readFile(files.certFile),
    key: readFile(files.keyFile),
    ...(files.clientCaFile === undefined ? {} : { clientCa: readFile(files.clientCaFile) }),
  };
}

/**
 * Serves renewed certificates without a restart. It watches the directories that hold the files rather
 * than the files: Kubernetes updates a mounted Secret by swapping a `..data` symlink, and tools like
 * cert-manager or `mv` replace files by rename, both of which a watch on the old file never reports.
 * After a burst of events it re-reads all files and applies them when any changed. Material that cannot be
 * read or does not fit together (a key for another certificate, half-written files) is logged as an error
 * and the current material stays in use; the next change event or poll tries again.
 */
export function watchTlsFiles(options: TlsFileWatcherOptions): TlsFileWatcher {
  const { files, apply } = options;
  const logger = options.logger ?? silentLogger;
  const debounceMs = options.debounceMs ?? 250;
  const pollIntervalMs = options.pollIntervalMs ?? 60_000;
  const readFile = options.readFile ?? readFileSync;
  const paths = [files.certFile, files.keyFile, ...(files.clientCaFile === undefined ? [] : [files.clientCaFile])];

  let current = fingerprint(safeRead());
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function safeRead(): TlsMaterial | undefined {
    try {
      return readTlsFiles(files, readFile);
    } catch {
      return undefined;
    }
  }

  function check(): void {
    if (closed) return;
    let material: TlsMaterial;
    try {
      material = readTlsFiles(files, readFile);
    } catch (error) {
      logger.error({ err: error, files: paths }, "cannot read the TLS files; keeping the current certificate");
      return;
    }
    const next = fingerprint(material);
    if (next === current) return;
    try {
      apply(material);
    } catch (error) {
      logger.error({ err: error, files: paths }, "the new TLS files are not usable (does the key match the certificate?); keeping the current certificate");
      return;
    }
    current = next;
    logger.info({ files: paths }, "TLS certificate reloaded; new connections use it");
  }

  const schedule = () => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      check();
    }, debounceMs);
    timer.unref();
  };

  const watchers: FSWatcher[] = [];
  for (const directory of new Set(paths.map((path) => dirname(path)))) {
    try {
      const watcher = watch(directory, { persistent: false }, schedule);
      watcher.on("error", (error) => logger.warn({ err: error, directory }, "watching the TLS directory failed; polling only"));
      watchers.push(watcher);
    } catch (error) {
      logger.warn({ err: error, directory }, "cannot watch the TLS directory; polling only");
    }
  }
  const poll = pollIntervalMs > 0 ? setInterval(check, pollIntervalMs) : undefined;
  poll?.unref();

  return {
    check,
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      if (poll !== undefined) clearInterval(poll);
      for (const watcher of watchers) watcher.close();
    },
  };
}

function fingerprint(material: TlsMaterial | undefined): string {
  if (material === undefined) return "";
  return [material.cert, material.key, material.clientCa ?? Buffer.alloc(0)].map((part) => part.toString("base64")).join(".");
}
