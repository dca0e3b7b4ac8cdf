import { statusCodeOf, toDomainError } from "../../cluster/kubernetes/kubernetes-errors.js";
import type { RestClient } from "../../cluster/kubernetes/rest-client.js";
import { type ConfigMap, configMapPaths, writeConfigMapData } from "./config-map-document.js";
import type { ConfigMapWatch } from "./config-map-watch.js";
import {
  type QuarantineRecord,
  quarantineDigestOf,
  quarantineMatches,
  sameNormalisedReference,
} from "../../core/domain/quarantine.js";
import { sameWorkload, type WorkloadRef } from "../../core/domain/workload.js";
import { DomainError } from "../../core/domain/domain-error.js";
import { defaultMaxQuarantineRecords, quarantineFull } from "../../core/domain/quarantine-full.js";
import type { CountFailure } from "../../core/ports/failure-counter.js";
import type { QuarantineStore } from "../../core/ports/quarantine-store.js";
import { defaultConflictRetries, retryOnConflict } from "./retry-on-conflict.js";
import { pageOf } from "../memory/page-token.js";

export interface ConfigMapQuarantineStoreOptions {
  readonly rest: RestClient;
  /** The manager's own namespace. Required. */
  readonly namespace: string;
  /** The ConfigMap's name. Default: "update-manager-quarantine". */
  readonly name?: string;
  /**
   * Records held (a ConfigMap holds at most 1 MiB); past it a new record is refused (RESOURCE_EXHAUSTED
   * QUARANTINE_FULL), none dropped. Default: 1000.
   */
  readonly maxRecords?: number;
  /** Counts a refused record (`quarantine-full`). Default: none. */
  readonly countFailure?: CountFailure;
  /** Conflicts (409) retried by re-reading, per write. Default: 5. */
  readonly conflictRetries?: number;
  /**
   * A watch of the ConfigMap (config-map-watch.ts): reads are answered from it while it is current, instead of
   * a GET each. Default: none (every read is a GET).
   */
  readonly watch?: ConfigMapWatch;
}

interface StoredRecord {
  readonly position: number;
  readonly workload: WorkloadRef;
  readonly image: string;
  readonly digest?: string;
  readonly updateId: string;
  readonly reason: string;
  readonly createTime: string;
}

const dataKey = "records.json";

/**
 * Quarantine records in one ConfigMap in the manager's namespace (`data["records.json"]`, a JSON
 * list), so they outlive the UpdateRuns that produced them (runs are pruned) and the workloads'
 * own metadata (a re-created workload is still protected). Every write carries the resourceVersion
 * it read (409: read again and redo), so replicas never lose each other's records. Reads come from a
 * watch of the ConfigMap when one is given and current, else from the API server: either way a record
 * one replica adds blocks the image on every replica as soon as the API server tells them.
 */
export function createConfigMapQuarantineStore(options: ConfigMapQuarantineStoreOptions): QuarantineStore {
  const { rest, namespace } = options;
  const name = options.name ?? "update-manager-quarantine";
  const maxRecords = options.maxRecords ?? defaultMaxQuarantineRecords;
  const retries = options.conflictRetries ?? defaultConflictRetries;
  const { path } = configMapPaths({ namespace, name });
  const operation = (verb: string) => ({ verb, resource: "configmaps", namespace, name });

  /** `fresh`: from the API server even when watched (a write bases itself on what it read). */
  async function read(fresh = false): Promise<{ map: ConfigMap | undefined; records: StoredRecord[] }> {
    const watched = fresh ? undefined : options.watch?.current();
    let map: ConfigMap | undefined;
    if (watched !== undefined) map = watched.map;
    else {
      try {
        map = await rest.request<ConfigMap>({ method: "GET", path });
      } catch (error) {
        if (statusCodeOf(error) === 404) return { map: undefined, records: [] };
        throw toDomainError(error, operation("get"));
      }
    }
    const text = map?.data?.[dataKey];
    return { map, records: text ? parseRecords(text) : [] };
  }

  /** A ConfigMap someone edited by hand (or truncated): name it and say what is wrong, never "unreachable". */
  function parseRecords(text: string): StoredRecord[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw corrupt(error instanceof Error ? error.message : String(error), error);
    }
    if (!Array.isArray(parsed)) throw corrupt("it is not a JSON list");
    return parsed as StoredRecord[];
  }

  function corrupt(detail: string, cause?: unknown): DomainError {
    return new DomainError(
      "failed-precondition",
      "CLUSTER_ERROR",
      `the quarantine ConfigMap ${namespace}/${name} holds unreadable data in ${dataKey} (${detail}); repair it, or delete it to start an empty quarantine`,
      { metadata: { config_map: `${namespace}/${name}` }, ...(cause === undefined ? {} : { cause }) },
    );
  }

  /** Applies `change` to the current records and writes them back; redone on a conflict. */
  async function update<T>(change: (records: StoredRecord[]) => { records: StoredRecord[]; result: T; changed: boolean }): Promise<T> {
    let verb = "patch";
    try {
      return await retryOnConflict(retries, async () => {
        const { map, records } = await read(true);
        const { records: next, result, changed } = change(records);
        if (!changed) return result;
        verb = map === undefined ? "create" : "patch";
        const written = await writeConfigMapData(rest, { namespace, name }, map, { [dataKey]: JSON.stringify(next) });
        options.watch?.wrote(written);
        return result;
      });
    } catch (error) {
      throw toDomainError(error, operation(verb));
    }
  }

  return {
    async add(record) {
      await update((records) => {
        const kept = records.filter(
          (old) => !(sameWorkload(old.workload, record.workload) && sameNormalisedReference(old.image, record.image) && old.digest === record.digest),
        );
        const position = records.reduce((max, old) => Math.max(max, old.position), 0) + 1;
        kept.push({
          position,
          workload: { kind: record.workload.kind, namespace: record.workload.namespace, name: record.workload.name },
          image: record.image,
          ...(record.digest === undefined ? {} : { digest: record.digest }),
          updateId: record.updateId,
          reason: record.reason,
          createTime: record.createTime.toISOString(),
        });
        if (kept.length > maxRecords) {
          options.countFailure?.("quarantine-full");
          throw quarantineFull(maxRecords);
        }
        return { records: kept, result: undefined, changed: true };
      });
    },

    async find(workload, image, digest) {
      const { records } = await read();
      for (let i = records.length - 1; i >= 0; i--) {
        const record = records[i]!;
        if (sameWorkload(record.workload, workload) && quarantineMatches(record, image, digest)) return toRecord(record);
      }
      return undefined;
    },

    async list(query) {
      const { records } = await read();
      const matching = records
        .filter((record) => !query.namespace || record.workload.namespace === query.namespace)
        .map((record) => ({ position: record.position, item: toRecord(record) }))
        .reverse();
      return pageOf(matching, query.pageSize, query.pageToken);
    },

    async clear(image, workload) {
      return update((records) => {
        const removed: QuarantineRecord[] = [];
        const kept = records.filter((record) => {
          const hit =
            (workload === undefined || sameWorkload(record.workload, workload)) &&
            (sameNormalisedReference(record.image, image) || (record.digest !== undefined && record.digest === quarantineDigestOf(image)));
          if (hit) removed.push(toRecord(record));
          return !hit;
        });
        return { records: kept, result: removed.reverse(), changed: removed.length > 0 };
      });
    },
  };
}

function toRecord(stored: StoredRecord): QuarantineRecord {
  return {
    workload: stored.workload,
    image: stored.image,
    ...(stored.digest === undefined ? {} : { digest: stored.digest }),
    updateId: stored.updateId,
    reason: stored.reason,
    createTime: new Date(stored.createTime),
  };
}
