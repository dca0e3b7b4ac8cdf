/** The pino levels `UPDATE_MANAGER_LOG_LEVEL` accepts. */
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

/** `auto`: pretty on a terminal, JSON otherwise. */
export const logFormats = ["auto", "json", "pretty"] as const;
export type LogFormat = (typeof logFormats)[number];

/** What `UPDATE_MANAGER_CLUSTER` asks for; `auto` resolves to one of the others. */
export const clusterRequests = ["auto", "embedded", "kubernetes"] as const;
export type ClusterRequest = (typeof clusterRequests)[number];
export type ClusterMode = "embedded" | "kubernetes";

/** What `UPDATE_MANAGER_STORE` accepts. */
export const storeModes = ["kubernetes", "memory"] as const;
export type StoreMode = (typeof storeModes)[number];

/**
 * The process configuration, from environment variables and command-line flags (flags win over variables).
 * An empty variable counts as unset, except `UPDATE_MANAGER_API_KEY`, where an empty value is an error (a secret
 * that did not resolve must not silently turn authentication off). Booleans accept true/false/1/0/yes/no in any
 * case. Durations are Go-style: `90s`, `15m`, `1h30m`.
 *
 * | Variable | Flag | Default | Meaning |
 * | --- | --- | --- | --- |
 * | `UPDATE_MANAGER_LISTENING_HOST` | `--listen-host` | `0.0.0.0` | Address of the API port (gRPC, gRPC-Web, Connect; HTTP/2 and HTTP/1.1). The original's misspelled `UPDATE_MANGER_LISTENING_HOST` works too; the correct spelling wins. |
 * | `UPDATE_MANAGER_LISTENING_PORT` | `--port` | `9000` | The API port, 0..65535 (0: any free port). `UPDATE_MANGER_LISTENING_PORT` works too. |
 * | `UPDATE_MANAGER_ADMIN_HOST` | | the listening host | Address of the admin port (`/healthz`, `/readyz`, `/metrics`). |
 * | `UPDATE_MANAGER_ADMIN_PORT` | `--admin-port` | `9090` | The admin port, 0..65535. |
 * | `UPDATE_MANAGER_AUTOLOAD_NAMESPACES` | | `true` | Watch every namespace. When `false`, only those in `UPDATE_MANAGER_NAMESPACES`. |
 * | `UPDATE_MANAGER_NAMESPACES` | | (all) | Comma-separated namespaces (DNS-1123 labels) to watch. Set without `UPDATE_MANAGER_AUTOLOAD_NAMESPACES`, it restricts the watch to them; ignored when autoload is `true` explicitly. |
 * | `UPDATE_MANAGER_API_KEY` | | (none) | The API key (at least 16 characters) that grants every permission, sent as `Authorization: Bearer <key>`. |
 * | `UPDATE_MANAGER_API_KEY_FILE` | | (none) | A file holding the API key (surrounding whitespace trimmed), e.g. a mounted Secret. Not together with `UPDATE_MANAGER_API_KEY`. |
 * | `UPDATE_MANAGER_CLUSTER` | | `auto` | `embedded` (the built-in simulated cluster), `kubernetes` (never falls back), or `auto`: embedded only when no `KUBECONFIG` is set, no `~/.kube/config` exists and the process is not in a pod (`KUBERNETES_SERVICE_HOST` or a ServiceAccount token), kubernetes otherwise. A `KUBECONFIG` (a list of files) none of whose files exists, or with an existing file that does not parse, stops start-up (exit 2) naming each file. |
 * | `UPDATE_MANAGER_INSECURE_DEMO` | | `true` on the embedded cluster with no credential configured, else `false` | Allow mutating RPCs without credentials. Any credential (`UPDATE_MANAGER_API_KEY`, `_API_KEY_FILE`, `_API_KEYS`, `_API_KEYS_FILE`, `_OIDC_CONFIG_FILE`) turns it off unless it is `true` explicitly; the start-up log says which mode is in force. |
 * | `UPDATE_MANAGER_KEY_PREFIX` | | `update-manager.io` | Prefix of the labels and annotations workloads opt in with (a DNS subdomain). |
 * | `UPDATE_MANAGER_LEGACY_ANNOTATION` | | `true` | Also honour the original's annotations. |
 * | `UPDATE_MANAGER_DEFAULT_UPDATE_TIMEOUT` | | `15m` | How long an update may take when the request does not say. |
 * | `UPDATE_MANAGER_QUEUE_TIMEOUT` | | `1h` | How long an update may wait behind busy targets (REST POSTs, and RPCs with `queue_if_busy`) before it ends FAILED with QUEUE_TIMEOUT. Its own timeout starts when it runs. |
 * | `UPDATE_MANAGER_REST_STRICT_NO_TARGETS` | | `false` | REST `POST /updates` for an image nothing uses: `false` answers as the original did (201, an update that succeeded with zero counts, a warning in the log and audit line); `true` answers 404 NO_TARGETS. |
 * | `UPDATE_MANAGER_MAX_REQUEST_BYTES` | | `1048576` | Largest request message accepted (RESOURCE_EXHAUSTED above). |
 * | `UPDATE_MANAGER_REFLECTION` | | `true` | Serve gRPC server reflection (grpcurl, `buf curl`). |
 * | `UPDATE_MANAGER_LOG_LEVEL` | | `info` | fatal, error, warn, info, debug, trace or silent. |
 * | `UPDATE_MANAGER_LOG_FORMAT` | | `auto` | `json`, `pretty`, or `auto`: pretty on a terminal, JSON otherwise. |
 * | `UPDATE_MANAGER_TLS_CERT_FILE` | | (none) | PEM certificate chain for the API port. With `UPDATE_MANAGER_TLS_KEY_FILE`; both or neither. |
 * | `UPDATE_MANAGER_TLS_KEY_FILE` | | (none) | PEM private key for the API port. |
 * | `UPDATE_MANAGER_TLS_CLIENT_CA_FILE` | | (none) | PEM CA certificates: with it, clients must present a certificate one of them issued (mutual TLS); callers are still identified by their Authorization header. Needs the two above. All three files are re-read when they change (a renewed certificate is served to new connections without a restart). |
 * | `UPDATE_MANAGER_SHUTDOWN_GRACE` | | `4s` | How long shutdown waits for calls in flight before it closes connections. |
 * | `UPDATE_MANAGER_STORE` | | `kubernetes` with a real cluster, `memory` embedded | Where updates are recorded: `kubernetes` (UpdateRun custom resources in the manager's namespace; several replicas share them and one leader executes) or `memory` (this process only, lost on restart). `kubernetes` needs the Kubernetes cluster. |
 * | `UPDATE_MANAGER_NAMESPACE` | | `POD_NAMESPACE`, else `update-manager` | The manager's own namespace: its UpdateRuns, leader Lease and quarantine ConfigMap. |
 * | `UPDATE_MANAGER_IDENTITY` | | `POD_NAME`, else `<HOSTNAME>-<pid>` | This replica's name in the leader Lease and as the executor of runs; unique per replica. |
 * | `UPDATE_MANAGER_LEASE_DURATION` | | `15s` | How long followers wait after the Lease's last renewal before taking over. |
 * | `UPDATE_MANAGER_LEASE_RENEW_DEADLINE` | | `10s` | A leader that could not renew for this long stops executing; less than the lease duration. |
 * | `UPDATE_MANAGER_LEASE_RETRY_PERIOD` | | `2s` | Time between acquire/renew attempts; less than the renew deadline. |
 * | `UPDATE_MANAGER_RETENTION_MAX_AGE` | | `720h` | Finished UpdateRuns older than this are deleted. |
 * | `UPDATE_MANAGER_RETENTION_MAX_COUNT` | | `1000` | At most this many finished UpdateRuns are kept (the oldest go first). |
 * | `SENTRY_DSN` | | | The original's error reporting: accepted and ignored, with a notice. Use OpenTelemetry (`OTEL_*`). |
 *
 * Any other `UPDATE_MANAGER_*` variable draws a notice (a typo guard), not an error.
 */
export interface Config {
  /** The API port. */
  readonly listen: { readonly host: string; readonly port: number };
  /** The admin port. */
  readonly admin: { readonly host: string; readonly port: number };
  /** Which namespaces to watch: every one (`all: true`), or exactly `names`. */
  readonly namespaces: { readonly all: true } | { readonly all: false; readonly names: readonly string[] };
  /** The full-scope API key; undefined when none is configured. */
  readonly apiKey: string | undefined;
  /**
   * The resolved cluster and why it was chosen, e.g. `{ mode: "embedded", reason: "no kubeconfig and not in a
   * cluster" }`; the application's first log line tells it.
   */
  readonly cluster: { readonly mode: ClusterMode; readonly requested: ClusterRequest; readonly reason: string };
  /** Mutating RPCs allowed without credentials. */
  readonly insecureDemo: boolean;
  /** Why insecure demo mode is on or off, for the start-up log (e.g. "a credential is configured: UPDATE_MANAGER_API_KEY"). */
  readonly insecureDemoReason: string;
  readonly keyPrefix: string;
  readonly legacyAnnotation: boolean;
  readonly defaultUpdateTimeoutMs: number;
  /** How long an update may wait in the queue of busy targets. */
  readonly queueTimeoutMs: number;
  /** REST: answer 404 NO_TARGETS instead of an empty successful update. */
  readonly restStrictNoTargets: boolean;
  readonly maxRequestBytes: number;
  readonly reflection: boolean;
  readonly log: { readonly level: LogLevel; readonly format: LogFormat };
  /**
   * PEM files for TLS on the API port (re-read when they change); undefined for plaintext. With `clientCaFile`,
   * clients must present a certificate issued by one of its CAs.
   */
  readonly tls: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string } | undefined;
  readonly shutdownGraceMs: number;
  /** Where updates are recorded: UpdateRun custom resources, or this process's memory. */
  readonly store: StoreMode;
  /** The manager's own namespace (UpdateRuns, the leader Lease, the quarantine ConfigMap). */
  readonly managerNamespace: string;
  /** This replica's identity for leader election and as the recorded executor of runs. */
  readonly identity: string;
  readonly leaderElection: {
    readonly leaseDurationMs: number;
    readonly renewDeadlineMs: number;
    readonly retryPeriodMs: number;
  };
  /** Pruning of finished UpdateRuns. */
  readonly retention: { readonly maxAgeMs: number; readonly maxCount: number };
  /**
   * registry watching (docs/registry-policies.md): UPDATE_MANAGER_WATCH_REGISTRIES (default true),
   * UPDATE_MANAGER_WATCH_INTERVAL (how often a workload without a `schedule` annotation is checked; default 5m,
   * 30s..24h) and UPDATE_MANAGER_INSECURE_REGISTRIES (comma-separated hosts reached over plain http; default none).
   */
  readonly registryWatch: {
    readonly enabled: boolean;
    readonly defaultScheduleMs: number;
    readonly insecureRegistries: readonly string[];
  };
  /**
   * Node upgrade plans (README "Node upgrade plans"): UPDATE_MANAGER_NODE_PLANS (default false; kube/node-plans turns
   * it on), UPDATE_MANAGER_PLAN_NAMESPACE (where plans and their Jobs live; default system-upgrade, as the seed) and
   * UPDATE_MANAGER_PLAN_CHANNEL_INTERVAL (how often a channel is resolved at most; default 15m, at least 1m).
   */
  readonly nodePlans: {
    readonly enabled: boolean;
    readonly namespace: string;
    readonly channelIntervalMs: number;
  };
  /** The source revision the image was built from, for `update_manager_build_info` (UPDATE_MANAGER_REVISION). Default: "unknown". */
  readonly revision: string;
  /** Things an operator should know about how the configuration was read; `main` logs each one. */
  readonly notices: readonly string[];
}
