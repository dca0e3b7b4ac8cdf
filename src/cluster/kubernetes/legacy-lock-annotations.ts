import type { MetadataKeys } from "../../core/domain/metadata-keys.js";
import { type WorkloadKind, type WorkloadRef, workloadKey } from "../../core/domain/workload.js";
import { type CoreLogger, silentLogger } from "../../core/ports/logger.js";
import { discoverCronJobVersion } from "./cronjob-version.js";
import { type KindApi, cronJobApi, daemonSetApi, deploymentApi, jobApi, objectPath, qualifiedResource, statefulSetApi } from "./kind-api.js";
import { statusCodeOf, toDomainError } from "./kubernetes-errors.js";
import type { RestClient } from "./rest-client.js";

export interface LegacyLockAnnotationsOptions {
  readonly rest: RestClient;
  readonly keys: MetadataKeys;
  /** Attempts when another writer changes the workload meanwhile (409). Default: 5. */
  readonly conflictRetries?: number;
  /** Default: silentLogger. */
  readonly logger?: CoreLogger;
}

/**
 * The lock annotations earlier versions wrote on workloads (`keys.lockAnnotation` = the update's id, and
 * `<lock annotation>-at` = when it was taken). Locks now live with the UpdateRuns (run-target-locks.ts); these
 * are only honoured while their update runs, and removed.
 */
export interface LegacyLockAnnotations {
  /** The update named by the lock annotation among `annotations`, if any. */
  holder(annotations: Readonly<Record<string, string>> | undefined): string | undefined;
  /** When that lock was taken (epoch ms), NaN when not recorded. */
  lockedAt(annotations: Readonly<Record<string, string>> | undefined): number;
  /**
   * Removes both annotations from the workload if they still name `holder` (a merge patch carrying the
   * resourceVersion it was decided on, so a lock written meanwhile is never removed).
   */
  remove(target: WorkloadRef, holder: string): Promise<void>;
}

interface Metadata {
  resourceVersion?: string;
  annotations?: Record<string, string> | null;
}

const mergePatch = "application/merge-patch+json";

export function createLegacyLockAnnotations(options: LegacyLockAnnotationsOptions): LegacyLockAnnotations {
  const { rest, keys } = options;
  const retries = options.conflictRetries ?? 5;
  const logger = (options.logger ?? silentLogger).child({ component: "legacy-lock-annotations" });
  const lockedAtKey = `${keys.lockAnnotation}-at`;
  let cronJobs: Promise<KindApi> | undefined;

  async function apiOf(kind: WorkloadKind): Promise<KindApi> {
    switch (kind) {
      case "Deployment":
        return deploymentApi;
      case "StatefulSet":
        return statefulSetApi;
      case "DaemonSet":
        return daemonSetApi;
      case "Job":
        return jobApi;
      case "CronJob":
        cronJobs ??= discoverCronJobVersion(rest).then(cronJobApi, (error: unknown) => {
          cronJobs = undefined;
          throw error;
        });
        return cronJobs;
    }
  }

  return {
    holder(annotations) {
      const holder = annotations?.[keys.lockAnnotation];
      return holder === undefined || holder === "" ? undefined : holder;
    },

    lockedAt(annotations) {
      return Date.parse(annotations?.[lockedAtKey] ?? "");
    },

    async remove(target, holder) {
      const api = await apiOf(target.kind);
      const path = objectPath(api, target.namespace, target.name);
      const operation = { verb: "patch", resource: qualifiedResource(api), namespace: target.namespace, name: target.name };
      for (let attempt = 0; ; attempt++) {
        let metadata: Metadata;
        try {
          metadata = (await rest.request<{ metadata: Metadata }>({ method: "GET", path })).metadata;
        } catch (error) {
          if (statusCodeOf(error) === 404) return;
          throw toDomainError(error, { ...operation, verb: "get" });
        }
        if (metadata.annotations?.[keys.lockAnnotation] !== holder) return;
        try {
          await rest.request({
            method: "PATCH",
            path,
            contentType: mergePatch,
            body: { metadata: { resourceVersion: metadata.resourceVersion, annotations: { [keys.lockAnnotation]: null, [lockedAtKey]: null } } },
          });
          logger.info({ workload: workloadKey(target), holder }, "removed a lock annotation written by an earlier version");
          return;
        } catch (error) {
          if (statusCodeOf(error) === 404) return;
          if (statusCodeOf(error) === 409 && attempt < retries) continue;
          throw toDomainError(error, operation);
        }
      }
    },
  };
}
