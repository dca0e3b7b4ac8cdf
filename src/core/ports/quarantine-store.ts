import type { QuarantineRecord } from "../domain/quarantine.js";
import type { WorkloadRef } from "../domain/workload.js";
import type { Page } from "./update-store.js";

export interface QuarantineStore {
  add(record: QuarantineRecord): Promise<void>;
  /** The record that blocks `image` (or `digest`, when known) on `workload`, if any. */
  find(workload: WorkloadRef, image: string, digest?: string): Promise<QuarantineRecord | undefined>;
  /** Newest first. */
  list(query: { readonly namespace?: string; readonly pageSize: number; readonly pageToken?: string }): Promise<
    Page<QuarantineRecord>
  >;
  /** Removes the records of `image` (reference or digest), for one workload or all; returns them. */
  clear(image: string, workload?: WorkloadRef): Promise<readonly QuarantineRecord[]>;
}
