import { DomainError } from "../domain/domain-error.js";
import type { UpdatePlan } from "../domain/update.js";
import { workloadKey } from "../domain/workload.js";
import type { QuarantineStore } from "../ports/quarantine-store.js";
import { describeWorkload } from "./describe-workload.js";

/**
 * FAILED_PRECONDITION (IMAGE_QUARANTINED) naming the first workload the plan changes for which
 * `image` is quarantined; undefined when there is none.
 */
export async function findQuarantined(
  quarantines: QuarantineStore,
  plan: UpdatePlan,
  image: string,
  digest: string | undefined,
): Promise<DomainError | undefined> {
  for (const workload of plan.workloads) {
    if (workload.unchanged) continue;
    const record = await quarantines.find(workload.workload, image, digest);
    if (record === undefined) continue;
    return new DomainError(
      "failed-precondition",
      "IMAGE_QUARANTINED",
      `${image} is quarantined for ${describeWorkload(workload.workload)}: update ${record.updateId} failed with it ` +
        `(${record.reason}); clear the quarantine or set override_quarantine`,
      { metadata: { image: record.image, workload: workloadKey(workload.workload), update_id: record.updateId } },
    );
  }
  return undefined;
}
