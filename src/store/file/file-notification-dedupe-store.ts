import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type CoreLogger, silentLogger } from "../../core/ports/logger.js";
import type { NotificationDedupeStore } from "../../core/ports/notification-dedupe-store.js";
import { createMemoryNotificationDedupeStore, type MemoryNotificationDedupeStoreOptions } from "../memory/memory-notification-dedupe-store.js";
import { decodeFindings, encodeFindings } from "./notification-findings-codec.js";

export interface FileNotificationDedupeStoreOptions extends MemoryNotificationDedupeStoreOptions {
  /** The JSON file (on a volume that outlives the process). Required. */
  readonly path: string;
  /** New findings are written together, this long after the first of them. Default: 1000 ms. */
  readonly flushDelayMs?: number;
  /** Default: silent. */
  readonly logger?: CoreLogger;
}

/**
 * Sent findings in a file, for the embedded cluster and single-process installs without the Kubernetes store: read
 * once at start-up (a missing or unreadable file starts empty, with a warning), written whole by rename (never
 * half-written) a moment after new findings, so a burst is one write.
 */
export function createFileNotificationDedupeStore(options: FileNotificationDedupeStoreOptions): NotificationDedupeStore {
  const logger = options.logger ?? silentLogger;
  const flushDelayMs = options.flushDelayMs ?? 1000;
  const memory = createMemoryNotificationDedupeStore(options);
  try {
    memory.restore(decodeFindings(readFileSync(options.path, "utf8")));
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") {
      logger.warn({ err: error, path: options.path }, `cannot read the notification state ${options.path}; starting empty`);
    }
  }
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;

  const write = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (!dirty) return;
    dirty = false;
    const temporary = `${options.path}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(options.path), { recursive: true });
      writeFileSync(temporary, encodeFindings(memory.snapshot()));
      renameSync(temporary, options.path);
    } catch (error) {
      dirty = true; // written with the next finding, or at shutdown.
      logger.error({ err: error, path: options.path }, `cannot write the notification state ${options.path}`);
    }
  };

  return {
    has: (channel, finding) => memory.has(channel, finding),
    add(channel, finding) {
      memory.add(channel, finding);
      dirty = true;
      if (timer === undefined) {
        timer = setTimeout(write, flushDelayMs);
        timer.unref();
      }
    },
    flush: async () => write(),
  };
}
