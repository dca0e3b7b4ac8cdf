import type { AlertQuery } from "../ports/alert-query.js";
import type { MetadataKeys } from "../domain/metadata-keys.js";
import type { Clock } from "../ports/clock.js";
import type { ClusterPort } from "../ports/cluster.js";
import type { CountFailure } from "../ports/failure-counter.js";
import type { FreezeStore } from "../ports/freeze-store.js";
import type { CoreLogger } from "../ports/logger.js";
import type { QuarantineStore } from "../ports/quarantine-store.js";
import type { StepEventRecorder } from "../ports/step-event-recorder.js";
import type { TargetLocks } from "../ports/target-locks.js";
import type { UpdateStore } from "../ports/update-store.js";
import type { UpdateTracer } from "../ports/update-tracer.js";

/** The ports the update engine runs on; adapters are chosen at start-up (Kubernetes or simulated). */
export interface UpdateEngineDeps {
  readonly cluster: ClusterPort;
  readonly store: UpdateStore;
  readonly quarantines: QuarantineStore;
  readonly locks: TargetLocks;
  readonly clock: Clock;
  /** New update ids (UUIDs in production; predictable in tests). */
  readonly newId: () => string;
  readonly keys: MetadataKeys;
  readonly logger: CoreLogger;
  /**
   * Whether this process may execute updates now. With several replicas only the leader does; the
   * others record new updates, which the leader picks up from the store. Default: always.
   */
  readonly canExecute?: () => boolean;
  /** The global freeze. Default: never frozen (Freeze then answers UNIMPLEMENTED). */
  readonly freeze?: FreezeStore;
  /** Counts failures the engine handles itself (an outcome it could not record). Default: none. */
  readonly countFailure?: CountFailure;
  /**
   * Spans of each update: its acceptance (plan, lock), each execution attempt and its steps. Default:
   * `noopUpdateTracer` (no spans; updates still get trace ids for their logs).
   */
  readonly tracer?: UpdateTracer;
  /**
   * Told of every milestone of an update (started, each migration and workload step, rollback, outcome) once it
   * is recorded; never of progress. Default: none.
   */
  readonly stepEvents?: StepEventRecorder;
  /** Runs the alert gate's queries (Prometheus). Default: none (an alert gate policy then fails closed). */
  readonly alerts?: AlertQuery;
  /**
   * Calls `start` once the I/O queued so far has gone out (two `setImmediate` turns in production): a launched execution
   * starts there, so that the answer to the `Update` that launched it, already written by then, is not held back
   * behind the execution's first writes and their processing (they took 10-40 ms of the accept before). The
   * execution is registered at once (cancel, isRunning). Default: at once.
   */
  readonly deferStart?: (start: () => void) => void;
}
