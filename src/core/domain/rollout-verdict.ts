/** The verdict on one workload's rollout, as `kubectl rollout status` would give it. */
export type RolloutVerdictState =
  | "complete"
  | "progressing"
  | "failed"
  | "paused"
  | "not-gateable"
  | "not-applicable";

export interface RolloutVerdict {
  readonly state: RolloutVerdictState;
  readonly desired: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  /** kubectl's own words, e.g. `Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...`. */
  readonly message: string;
}
