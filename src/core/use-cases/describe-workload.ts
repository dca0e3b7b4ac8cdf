import type { WorkloadRef } from "../domain/workload.js";

/** "Deployment shop/web": how reasons and logs name an object. */
export function describeWorkload(ref: WorkloadRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}
