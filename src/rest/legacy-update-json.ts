import type { UpdateRecord, UpdateState } from "../core/domain/update.js";
import { isTerminal } from "../core/domain/update.js";

/** The original's `web.UpdateProgressSerialized`, field for field and in its order. */
export interface LegacyUpdateJson {
  uuid: string;
  counts: {
    jobs: { total: number; updated: number };
    deployments: { total: number; updated: number };
  };
  status: {
    /** RFC 3339; null until the update finished. */
    finish_time: string | null;
    finished: boolean;
    failed: boolean;
    successful: boolean;
  };
  /**
   * Not the original's: why the update failed (a refusal, a rollback), when it did. Its client
   * ignores fields it does not know; a person reading the answer sees why.
   */
  reason?: string;
}

const failedStates: ReadonlySet<UpdateState> = new Set(["failed", "rolled-back", "rollback-failed", "cancelled"]);

/**
 * An update as the original's REST API showed it. `jobs` counts migration Jobs (updated: those that
 * succeeded); `deployments` counts the plan's workloads (updated: those healthy so far, unchanged ones
 * included, so a successful update ends at total/total). The original's CLI polls until
 * `status.finished`, then fails when `status.failed`.
 */
export function toLegacyUpdateJson(record: UpdateRecord): LegacyUpdateJson {
  return {
    uuid: record.id,
    counts: {
      jobs: {
        total: record.plan.migrations.length,
        updated: record.migrations.filter((migration) => migration.phase === "succeeded").length,
      },
      deployments: {
        total: record.plan.workloads.length,
        updated: record.workloads.filter((workload) => workload.phase === "healthy" || workload.phase === "unchanged").length,
      },
    },
    status: {
      finish_time: isTerminal(record.state) && record.finishTime !== undefined ? record.finishTime.toISOString() : null,
      finished: isTerminal(record.state),
      failed: failedStates.has(record.state),
      successful: record.state === "succeeded",
    },
    ...(record.reason === "" ? {} : { reason: record.reason }),
  };
}
