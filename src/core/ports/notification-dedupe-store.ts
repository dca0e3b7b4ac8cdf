/**
 * The findings each channel was told about (src/core/domain/notification.ts `findingHash`), so the same finding is
 * sent once per channel. Bounded per channel: the oldest finding is forgotten first, and each one forgotten is
 * reported to the store's eviction counter. Implementations: memory, a file, a ConfigMap.
 */
export interface NotificationDedupeStore {
  /** Whether the channel was told about this finding. Rejects when the durable state cannot be read yet. */
  has(channel: string, finding: string): Promise<boolean>;
  /**
   * Remembers the finding for the channel. Returns at once; a durable store writes it in the background (several
   * together), retrying a failed write with the next one.
   */
  add(channel: string, finding: string): void;
  /** Writes what is not written yet (shutdown). Never rejects. */
  flush(): Promise<void>;
}
