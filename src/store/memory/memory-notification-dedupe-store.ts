import type { NotificationDedupeStore } from "../../core/ports/notification-dedupe-store.js";

/** Findings remembered per channel unless configured otherwise. */
export const defaultMaxFindingsPerChannel = 10_000;

export interface MemoryNotificationDedupeStoreOptions {
  /** Findings remembered per channel; the oldest is forgotten first. Default: 10 000. */
  readonly maxPerChannel?: number;
  /** Counts forgotten findings per channel (metrics). Default: none. */
  readonly onEvicted?: (channel: string, count: number) => void;
}

/** The memory of sent findings, with what the durable stores need to save and restore it. */
export interface MemoryNotificationDedupeStore extends NotificationDedupeStore {
  /** Every channel's findings, oldest first. */
  snapshot(): Record<string, string[]>;
  /** Adds findings read from durable state (oldest first) that are not known yet, evicting as `add` does. */
  restore(findings: Readonly<Record<string, readonly string[]>>): void;
}

/**
 * Sent findings in this process's memory (embedded mode without a state file, and tests): lost on restart. Each
 * channel keeps an insertion-ordered set, the oldest finding dropped first when it is full.
 */
export function createMemoryNotificationDedupeStore(options: MemoryNotificationDedupeStoreOptions = {}): MemoryNotificationDedupeStore {
  const maxPerChannel = options.maxPerChannel ?? defaultMaxFindingsPerChannel;
  if (!Number.isInteger(maxPerChannel) || maxPerChannel <= 0) {
    throw new RangeError(`maxPerChannel must be a positive integer, got ${maxPerChannel}`);
  }
  const channels = new Map<string, Set<string>>();

  const add = (channel: string, finding: string): void => {
    let findings = channels.get(channel);
    if (findings === undefined) {
      findings = new Set();
      channels.set(channel, findings);
    }
    if (findings.has(finding)) return;
    findings.add(finding);
    let evicted = 0;
    for (const oldest of findings) {
      if (findings.size <= maxPerChannel) break;
      findings.delete(oldest);
      evicted++;
    }
    if (evicted > 0) options.onEvicted?.(channel, evicted);
  };

  return {
    has: async (channel, finding) => channels.get(channel)?.has(finding) ?? false,
    add,
    flush: async () => {},
    snapshot: () => Object.fromEntries([...channels].map(([channel, findings]) => [channel, [...findings]])),
    restore(findings) {
      for (const [channel, list] of Object.entries(findings)) for (const finding of list) add(channel, finding);
    },
  };
}
