import type { KubeConnection } from "./kube-connection.js";
import type { MetadataKeys } from "../../core/domain/metadata-keys.js";
import type { Clock } from "../../core/ports/clock.js";
import type { CoreLogger } from "../../core/ports/logger.js";
import type { ApiRequestEvent } from "./api-request-event.js";
import type { BackoffOptions } from "./backoff.js";
import type { InformerEvents } from "./informer-events.js";

export interface KubernetesClusterOptions {
  /** Credentials and API server address (loadKubeConnection, or a client-node KubeConfig). Required. */
  readonly kubeConfig: KubeConnection;
  /**
   * Namespaces to watch: one informer per namespace per kind, so a namespaced Role suffices.
   * Default: undefined, every namespace (one cluster-wide informer per kind; needs a ClusterRole).
   */
  readonly namespaces?: readonly string[];
  /** The label and annotation keys. Required (createMetadataKeys()). */
  readonly keys: MetadataKeys;
  /**
   * Also honour the original update manager's annotation (keys.legacyClassifierAnnotation).
   * Annotations cannot be selected server-side, so the workload informers then list and cache
   * every Deployment, StatefulSet, DaemonSet, CronJob and Job of the watched namespaces and
   * filter here: memory grows with all of them, not just the opted-in ones. Without it only
   * objects carrying keys.classifierLabel are sent by the server. Default: true.
   */
  readonly legacyAnnotation?: boolean;
  /** Default: silentLogger. */
  readonly logger?: CoreLogger;
  /** Timers for informer restarts. Default: systemClock. */
  readonly clock?: Clock;
  /** Delays between informer restarts after errors. Default: 500 ms doubling to 30 s, 20 % jitter. */
  readonly backoff?: BackoffOptions;
  /**
   * spec.ttlSecondsAfterFinished set on a migration copy once it completed successfully (failed
   * copies keep no TTL, so their pods and logs stay for inspection). Default: 3600.
   */
  readonly successfulJobTtlSeconds?: number;
  /**
   * How long after a rollout starts the pod watch behind `watchPodProblems` begins (one pod LIST
   * and WATCH per gated workload). Rollouts that are healthy sooner read no pods at all; failing
   * ones are detected this much later at most. Default: 2000.
   */
  readonly podProblemWatchDelayMs?: number;
  /** The field manager named in managedFields for the manager's writes. Default: "update-manager". */
  readonly fieldManager?: string;
  /** Longest silence on one API request (not watches) before it fails. Default: 30 000 ms. */
  readonly requestTimeoutMs?: number;
  /** Told of every API request (not watches) with its verb, resource and status, for metrics. Default: none. */
  readonly onApiRequest?: (event: ApiRequestEvent) => void;
  /** Told of the versions the cluster's writes produced, what its informers deliver and their relists. Default: none. */
  readonly informerEvents?: InformerEvents;
  /** Objects per page when informers list. Default: 100 (resilient-informer.ts says why). */
  readonly listPageSize?: number;
}
