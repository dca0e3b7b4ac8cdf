import type { WorkloadRef } from "../domain/workload.js";

/**
 * What the workload's pods of its current template actually run: the `imageID` the kubelet reports per
 * container (it carries the digest the node pulled). The running digest of a `digest` policy when the spec
 * does not pin one.
 */
export interface RunningImagesPort {
  /**
   * Container name -> imageID (e.g. "registry/web@sha256:..."), from the pods that run the workload's current
   * template. Containers with no such pod, or whose pods report no imageID yet, are absent.
   */
  runningImageIds(ref: WorkloadRef): Promise<ReadonlyMap<string, string>>;
}
