import {
  type QuarantineRecord,
  quarantineDigestOf,
  quarantineMatches,
  sameNormalisedReference,
} from "../../core/domain/quarantine.js";
import { type WorkloadRef, sameWorkload } from "../../core/domain/workload.js";
import { defaultMaxQuarantineRecords, quarantineFull } from "../../core/domain/quarantine-full.js";
import type { CountFailure } from "../../core/ports/failure-counter.js";
import type { QuarantineStore } from "../../core/ports/quarantine-store.js";
import { pageOf } from "./page-token.js";

interface Entry {
  readonly position: number;
  readonly record: QuarantineRecord;
}

export interface MemoryQuarantineStoreOptions {
  /** Records held; past it a new record is refused (RESOURCE_EXHAUSTED QUARANTINE_FULL), none dropped. Default: 1000. */
  readonly maxRecords?: number;
  /** Counts a refused record (`quarantine-full`). Default: none. */
  readonly countFailure?: CountFailure;
}

/**
 * The QuarantineStore of embedded mode and tests. One record per (workload, image, digest): adding
 * the same failure again replaces the older record, so the list does not fill with repeats.
 */
export function createMemoryQuarantineStore(options: MemoryQuarantineStoreOptions = {}): QuarantineStore {
  const maxRecords = options.maxRecords ?? defaultMaxQuarantineRecords;
  let entries: Entry[] = [];
  let nextPosition = 1;

  return {
    async add(record) {
      const kept = entries.filter(
        ({ record: old }) =>
          !(sameWorkload(old.workload, record.workload) && sameNormalisedReference(old.image, record.image) && old.digest === record.digest),
      );
      if (kept.length >= maxRecords) {
        options.countFailure?.("quarantine-full");
        throw quarantineFull(maxRecords);
      }
      entries = kept;
      entries.push({ position: nextPosition++, record: structuredClone(record) });
    },

    async find(workload, image, digest) {
      // Newest first, so the most recent reason is reported.
      for (let i = entries.length - 1; i >= 0; i--) {
        const { record } = entries[i]!;
        if (sameWorkload(record.workload, workload) && quarantineMatches(record, image, digest)) return structuredClone(record);
      }
      return undefined;
    },

    async list(query) {
      const matching = entries
        .filter(({ record }) => !query.namespace || record.workload.namespace === query.namespace)
        .map((entry) => ({ position: entry.position, item: entry.record }))
        .reverse();
      const page = pageOf(matching, query.pageSize, query.pageToken);
      return { items: structuredClone(page.items), nextPageToken: page.nextPageToken };
    },

    async clear(image, workload?: WorkloadRef) {
      const removed: QuarantineRecord[] = [];
      entries = entries.filter(({ record }) => {
        const hit =
          (workload === undefined || sameWorkload(record.workload, workload)) &&
          (sameNormalisedReference(record.image, image) || (record.digest !== undefined && record.digest === quarantineDigestOf(image)));
        if (hit) removed.push(record);
        return !hit;
      });
      return removed.reverse();
    },
  };
}
