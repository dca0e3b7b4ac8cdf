import { existsSync, readFileSync } from "node:fs";
import { accessControlVariables } from "../auth/load-access-control-config.js";
import { notificationsVariables } from "../notify/load-notifications-config.js";
import { webhooksVariables } from "../webhooks/load-webhooks-config.js";
import { policyVariables } from "../policy/load-policy-config.js";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { parse as parseYaml } from "yaml";
import {
  type ClusterMode,
  type ClusterRequest,
  type Config,
  clusterRequests,
  type LogFormat,
  type LogLevel,
  logFormats,
  logLevels,
  type StoreMode,
  storeModes,
} from "./config.js";
import { ConfigError } from "./config-error.js";
import { parseDuration } from "./duration.js";

/** The file system access `loadConfig` needs, replaceable in tests. */
export interface ConfigFiles {
  /** The file's text; throws when it cannot be read. */
  readText(path: string): string;
  exists(path: string): boolean;
  /** The user's home directory, for `~/.kube/config`. */
  home(): string;
}

const nodeFiles: ConfigFiles = {
  readText: (path) => readFileSync(path, "utf8"),
  exists: (path) => existsSync(path),
  home: () => homedir(),
};

/** Every variable `loadConfig` reads; any other `UPDATE_MANAGER_*` one draws a notice. */
export const knownVariables = [
  "UPDATE_MANAGER_LISTENING_HOST",
  "UPDATE_MANAGER_LISTENING_PORT",
  "UPDATE_MANAGER_ADMIN_HOST",
  "UPDATE_MANAGER_ADMIN_PORT",
  "UPDATE_MANAGER_AUTOLOAD_NAMESPACES",
  "UPDATE_MANAGER_NAMESPACES",
  "UPDATE_MANAGER_API_KEY",
  "UPDATE_MANAGER_API_KEY_FILE",
  "UPDATE_MANAGER_CLUSTER",
  "UPDATE_MANAGER_INSECURE_DEMO",
  "UPDATE_MANAGER_KEY_PREFIX",
  "UPDATE_MANAGER_LEGACY_ANNOTATION",
  "UPDATE_MANAGER_DEFAULT_UPDATE_TIMEOUT",
  "UPDATE_MANAGER_QUEUE_TIMEOUT",
  "UPDATE_MANAGER_REST_STRICT_NO_TARGETS",
  "UPDATE_MANAGER_MAX_REQUEST_BYTES",
  "UPDATE_MANAGER_REFLECTION",
  "UPDATE_MANAGER_LOG_LEVEL",
  "UPDATE_MANAGER_LOG_FORMAT",
  "UPDATE_MANAGER_TLS_CERT_FILE",
  "UPDATE_MANAGER_TLS_KEY_FILE",
  "UPDATE_MANAGER_TLS_CLIENT_CA_FILE",
  "UPDATE_MANAGER_SHUTDOWN_GRACE",
  "UPDATE_MANAGER_STORE",
  "UPDATE_MANAGER_NAMESPACE",
  "UPDATE_MANAGER_IDENTITY",
  "UPDATE_MANAGER_LEASE_DURATION",
  "UPDATE_MANAGER_LEASE_RENEW_DEADLINE",
  "UPDATE_MANAGER_LEASE_RETRY_PERIOD",
  "UPDATE_MANAGER_RETENTION_MAX_AGE",
  "UPDATE_MANAGER_RETENTION_MAX_COUNT",
  // Registry watching.
  "UPDATE_MANAGER_WATCH_REGISTRIES",
  "UPDATE_MANAGER_WATCH_INTERVAL",
  "UPDATE_MANAGER_INSECURE_REGISTRIES",
  // Node upgrade plans.
  "UPDATE_MANAGER_NODE_PLANS",
  "UPDATE_MANAGER_PLAN_NAMESPACE",
  "UPDATE_MANAGER_PLAN_CHANNEL_INTERVAL",
  // Shown by the build info metric.
  "UPDATE_MANAGER_REVISION",
  // Read by src/auth/load-access-control-config.ts.
  ...accessControlVariables,
  ...notificationsVariables,
  ...policyVariables,
  ...webhooksVariables,
] as const;

/** The command-line flags, each overriding a variable. */
const flagVariables = {
  "--listen-host": "UPDATE_MANAGER_LISTENING_HOST",
  "--port": "UPDATE_MANAGER_LISTENING_PORT",
  "--admin-port": "UPDATE_MANAGER_ADMIN_PORT",
} as const;
type Flag = keyof typeof flagVariables;

const minApiKeyLength = 16;
/** Any of these set means callers are meant to authenticate: insecure demo mode is then off unless set explicitly. */
const credentialVariables = [
  "UPDATE_MANAGER_API_KEY",
  "UPDATE_MANAGER_API_KEY_FILE",
  "UPDATE_MANAGER_API_KEYS",
  "UPDATE_MANAGER_API_KEYS_FILE",
  "UPDATE_MANAGER_OIDC_CONFIG_FILE",
] as const;
/** connect's limit for a message size. */
const maxMessageBytes = 0xffffffff;
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Reads the configuration from environment variables and command-line flags (`argv` without the node binary
 * and script, e.g. `process.argv.slice(2)`; `--flag value` and `--flag=value` both work). No side effects
 * besides reading the API key file and looking for a kubeconfig. Throws a `ConfigError` listing every problem;
 * see `Config` for the variables.
 */
export function loadConfig(env: NodeJS.ProcessEnv, argv: readonly string[], files: ConfigFiles = nodeFiles): Config {
  const problems: string[] = [];
  const notices: string[] = [];
  const flags = parseFlags(argv, problems);

  /** A variable's value, empty counting as unset. */
  const variable = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === "" ? undefined : value;
  };

  /** A setting from its flag, its variable or the original's misspelled variable, in that order. */
  const setting = (name: string, misspelled?: string): { value: string; source: string } | undefined => {
    const flag = (Object.keys(flagVariables) as Flag[]).find((f) => flagVariables[f] === name);
    const fromFlag = flag === undefined ? undefined : flags.get(flag);
    const fromVariable = variable(name);
    const fromMisspelled = misspelled === undefined ? undefined : variable(misspelled);
    if (fromMisspelled !== undefined && misspelled !== undefined) {
      if (fromFlag !== undefined || fromVariable !== undefined) {
        notices.push(`${misspelled} (the original's spelling) is ignored: ${fromFlag === undefined ? name : flag} is set`);
      } else {
        notices.push(`using ${misspelled}, the original's misspelled name; prefer ${name}`);
      }
    }
    if (fromFlag !== undefined && flag !== undefined) return { value: fromFlag, source: flag };
    if (fromVariable !== undefined) return { value: fromVariable, source: name };
    if (fromMisspelled !== undefined && misspelled !== undefined) return { value: fromMisspelled, source: misspelled };
    return undefined;
  };

  /** A port, or undefined when it is not one (a problem is recorded). */
  const port = (name: string, fallback: number, misspelled?: string): number | undefined => {
    const found = setting(name, misspelled);
    if (found === undefined) return fallback;
    const parsed = /^\d{1,5}$/.test(found.value) ? Number(found.value) : Number.NaN;
    if (!(parsed <= 65535)) {
      problems.push(`${found.source}="${found.value}" is not a port: expected an integer from 0 to 65535`);
      return undefined;
    }
    return parsed;
  };

  const boolean = (name: string): boolean | undefined => {
    const value = variable(name);
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    if (lower === "true" || lower === "1" || lower === "yes") return true;
    if (lower === "false" || lower === "0" || lower === "no") return false;
    problems.push(`${name}="${value}" is not a boolean: expected true, false, 1, 0, yes or no`);
    return undefined;
  };

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = variable(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase() as T;
    if (allowed.includes(lower)) return lower;
    problems.push(`${name}="${value}" is not one of ${allowed.join(", ")}`);
    return fallback;
  };

  const duration = (name: string, fallbackMs: number, { allowZero }: { allowZero: boolean }): number => {
    const value = variable(name);
    if (value === undefined) return fallbackMs;
    const parsed = parseDuration(value);
    if (parsed === undefined || (parsed === 0 && !allowZero)) {
      problems.push(
        `${name}="${value}" is not a ${allowZero ? "" : "positive "}duration: expected e.g. 90s, 15m or 1h30m`,
      );
      return fallbackMs;
    }
    return parsed;
  };

  // The ports.
  const listenHost = setting("UPDATE_MANAGER_LISTENING_HOST", "UPDATE_MANGER_LISTENING_HOST")?.value ?? "0.0.0.0";
  const listenPort = port("UPDATE_MANAGER_LISTENING_PORT", 9000, "UPDATE_MANGER_LISTENING_PORT");
  const adminHost = variable("UPDATE_MANAGER_ADMIN_HOST") ?? listenHost;
  const adminPort = port("UPDATE_MANAGER_ADMIN_PORT", 9090);
  if (adminPort === listenPort && adminPort !== 0 && adminHost === listenHost) {
    problems.push(`the API port and the admin port are both ${adminPort}: they must differ`);
  }

  // The namespaces.
  const autoload = boolean("UPDATE_MANAGER_AUTOLOAD_NAMESPACES");
  const namespaceList = variable("UPDATE_MANAGER_NAMESPACES");
  const names = [
    ...new Set(
      (namespaceList ?? "")
        .split(",")
        .map((name) => name.trim())
        .filter((name) => name !== ""),
    ),
  ];
  for (const name of names) {
    if (name.length > 63 || !dns1123Label.test(name)) {
      problems.push(
        `UPDATE_MANAGER_NAMESPACES: "${name}" is not a namespace name (a DNS-1123 label: lowercase letters, digits and "-", at most 63)`,
      );
    }
  }
  let namespaces: Config["namespaces"] = { all: true };
  if (autoload === false) {
    if (names.length === 0) {
      problems.push("UPDATE_MANAGER_AUTOLOAD_NAMESPACES=false needs the namespaces to watch in UPDATE_MANAGER_NAMESPACES");
    }
    namespaces = { all: false, names };
  } else if (autoload === undefined && names.length > 0) {
    notices.push(
      `UPDATE_MANAGER_NAMESPACES is set without UPDATE_MANAGER_AUTOLOAD_NAMESPACES: watching only ${names.join(", ")}`,
    );
    namespaces = { all: false, names };
  } else if (autoload === true && names.length > 0) {
    notices.push("UPDATE_MANAGER_NAMESPACES is ignored: UPDATE_MANAGER_AUTOLOAD_NAMESPACES=true watches every namespace");
  }

  // The API key.
  let apiKey: string | undefined;
  const keyFile = variable("UPDATE_MANAGER_API_KEY_FILE");
  if (env.UPDATE_MANAGER_API_KEY !== undefined && keyFile !== undefined) {
    problems.push("UPDATE_MANAGER_API_KEY and UPDATE_MANAGER_API_KEY_FILE are both set: set one");
  } else if (env.UPDATE_MANAGER_API_KEY !== undefined) {
    apiKey = env.UPDATE_MANAGER_API_KEY;
    if (apiKey.trim() !== apiKey) {
      problems.push("UPDATE_MANAGER_API_KEY starts or ends with whitespace");
    } else if (apiKey.length < minApiKeyLength) {
      problems.push(
        `UPDATE_MANAGER_API_KEY is ${apiKey.length === 0 ? "empty" : "too short"}: use at least ${minApiKeyLength} characters`,
      );
    }
  } else if (keyFile !== undefined) {
    try {
      apiKey = files.readText(keyFile).trim();
      if (apiKey.length < minApiKeyLength) {
        problems.push(
          `UPDATE_MANAGER_API_KEY_FILE: the key in ${keyFile} is ${apiKey.length === 0 ? "empty" : "too short"}: use at least ${minApiKeyLength} characters`,
        );
      }
    } catch (error) {
      problems.push(`UPDATE_MANAGER_API_KEY_FILE: cannot read ${keyFile}: ${messageOf(error)}`);
    }
  }

  // The cluster.
  const requested = oneOf<ClusterRequest>("UPDATE_MANAGER_CLUSTER", clusterRequests, "auto");
  const cluster = resolveCluster(requested, env, files, problems);

  // Insecure demo mode: only on the embedded cluster with no credential, unless set explicitly.
  const credentials = credentialVariables.filter((name) => variable(name) !== undefined);
  const explicitDemo = boolean("UPDATE_MANAGER_INSECURE_DEMO");
  const insecureDemo = explicitDemo ?? (cluster.mode === "embedded" && credentials.length === 0);
  const insecureDemoReason =
    explicitDemo !== undefined
      ? `UPDATE_MANAGER_INSECURE_DEMO=${variable("UPDATE_MANAGER_INSECURE_DEMO")}`
      : credentials.length > 0
        ? `a credential is configured: ${credentials.join(", ")}`
        : cluster.mode === "embedded"
          ? "the embedded cluster with no credential configured"
          : "a real cluster";
  if (insecureDemo && cluster.mode === "kubernetes") {
    notices.push("UPDATE_MANAGER_INSECURE_DEMO is on with a real cluster: anyone who reaches the API port can update it");
  }
  if (!insecureDemo && credentials.length === 0) {
    notices.push("no credential is configured and insecure demo mode is off: mutating RPCs will be refused");
  }

  // Keys, timeouts, limits.
  const keyPrefix = variable("UPDATE_MANAGER_KEY_PREFIX") ?? "update-manager.io";
  if (keyPrefix.length > 253 || !dns1123Subdomain.test(keyPrefix)) {
    problems.push(`UPDATE_MANAGER_KEY_PREFIX="${keyPrefix}" is not a DNS subdomain (e.g. update-manager.io)`);
  }
  const legacyAnnotation = boolean("UPDATE_MANAGER_LEGACY_ANNOTATION") ?? true;
  const defaultUpdateTimeoutMs = duration("UPDATE_MANAGER_DEFAULT_UPDATE_TIMEOUT", 15 * 60_000, { allowZero: false });
  const queueTimeoutMs = duration("UPDATE_MANAGER_QUEUE_TIMEOUT", 60 * 60_000, { allowZero: false });
  const restStrictNoTargets = boolean("UPDATE_MANAGER_REST_STRICT_NO_TARGETS") ?? false;
  const shutdownGraceMs = duration("UPDATE_MANAGER_SHUTDOWN_GRACE", 4000, { allowZero: true });
  let maxRequestBytes = 1024 * 1024;
  const maxRequestBytesText = variable("UPDATE_MANAGER_MAX_REQUEST_BYTES");
  if (maxRequestBytesText !== undefined) {
    const parsed = /^\d+$/.test(maxRequestBytesText) ? Number(maxRequestBytesText) : Number.NaN;
    if (parsed >= 1 && parsed <= maxMessageBytes) maxRequestBytes = parsed;
    else {
      problems.push(
        `UPDATE_MANAGER_MAX_REQUEST_BYTES="${maxRequestBytesText}" is not a size in bytes: expected an integer from 1 to ${maxMessageBytes}`,
      );
    }
  }
  const reflection = boolean("UPDATE_MANAGER_REFLECTION") ?? true;

  // Logging.
  const level = oneOf<LogLevel>("UPDATE_MANAGER_LOG_LEVEL", logLevels, "info");
  const format = oneOf<LogFormat>("UPDATE_MANAGER_LOG_FORMAT", logFormats, "auto");

  // TLS.
  const certFile = variable("UPDATE_MANAGER_TLS_CERT_FILE");
  const tlsKeyFile = variable("UPDATE_MANAGER_TLS_KEY_FILE");
  const clientCaFile = variable("UPDATE_MANAGER_TLS_CLIENT_CA_FILE");
  let tls: Config["tls"];
  if (clientCaFile !== undefined && certFile === undefined && tlsKeyFile === undefined) {
    problems.push("UPDATE_MANAGER_TLS_CLIENT_CA_FILE needs TLS: set UPDATE_MANAGER_TLS_CERT_FILE and UPDATE_MANAGER_TLS_KEY_FILE too");
  }
  if ((certFile === undefined) !== (tlsKeyFile === undefined)) {
    problems.push("UPDATE_MANAGER_TLS_CERT_FILE and UPDATE_MANAGER_TLS_KEY_FILE go together: set both or neither");
  } else if (certFile !== undefined && tlsKeyFile !== undefined) {
    for (const [name, path] of [
      ["UPDATE_MANAGER_TLS_CERT_FILE", certFile],
      ["UPDATE_MANAGER_TLS_KEY_FILE", tlsKeyFile],
      ["UPDATE_MANAGER_TLS_CLIENT_CA_FILE", clientCaFile],
    ] as const) {
      if (path !== undefined && !files.exists(path)) problems.push(`${name}: ${path} does not exist`);
    }
    tls = { certFile, keyFile: tlsKeyFile, ...(clientCaFile === undefined ? {} : { clientCaFile }) };
  }

  // Durable updates and leader election.
  const store = oneOf<StoreMode>("UPDATE_MANAGER_STORE", storeModes, cluster.mode === "kubernetes" ? "kubernetes" : "memory");
  if (store === "kubernetes" && cluster.mode === "embedded") {
    problems.push(
      `UPDATE_MANAGER_STORE=kubernetes needs the Kubernetes cluster, but the embedded one is used (${cluster.reason}); set UPDATE_MANAGER_STORE=memory or UPDATE_MANAGER_CLUSTER=kubernetes`,
    );
  }
  const managerNamespace = variable("UPDATE_MANAGER_NAMESPACE") ?? variable("POD_NAMESPACE") ?? "update-manager";
  if (managerNamespace.length > 63 || !dns1123Label.test(managerNamespace)) {
    problems.push(`the manager's namespace "${managerNamespace}" (UPDATE_MANAGER_NAMESPACE or POD_NAMESPACE) is not a namespace name`);
  }
  const identity = variable("UPDATE_MANAGER_IDENTITY") ?? variable("POD_NAME") ?? `${variable("HOSTNAME") ?? "update-manager"}-${process.pid}`;
  if (identity.length > 128) problems.push("UPDATE_MANAGER_IDENTITY (or POD_NAME) is longer than 128 characters");
  const leaseDurationMs = duration("UPDATE_MANAGER_LEASE_DURATION", 15_000, { allowZero: false });
  const renewDeadlineMs = duration("UPDATE_MANAGER_LEASE_RENEW_DEADLINE", 10_000, { allowZero: false });
  const retryPeriodMs = duration("UPDATE_MANAGER_LEASE_RETRY_PERIOD", 2_000, { allowZero: false });
  if (leaseDurationMs < 1000 || leaseDurationMs % 1000 !== 0) {
    problems.push("UPDATE_MANAGER_LEASE_DURATION must be whole seconds, at least 1s (a Lease counts in seconds)");
  }
  if (!(renewDeadlineMs < leaseDurationMs)) {
    problems.push("UPDATE_MANAGER_LEASE_RENEW_DEADLINE must be less than UPDATE_MANAGER_LEASE_DURATION: a leader must stop before others may take over");
  }
  if (!(retryPeriodMs < renewDeadlineMs)) {
    problems.push("UPDATE_MANAGER_LEASE_RETRY_PERIOD must be less than UPDATE_MANAGER_LEASE_RENEW_DEADLINE");
  }
  const retentionMaxAgeMs = duration("UPDATE_MANAGER_RETENTION_MAX_AGE", 720 * 3_600_000, { allowZero: false });
  let retentionMaxCount = 1000;
  const maxCountText = variable("UPDATE_MANAGER_RETENTION_MAX_COUNT");
  if (maxCountText !== undefined) {
    if (/^\d{1,9}$/.test(maxCountText)) retentionMaxCount = Number(maxCountText);
    else problems.push(`UPDATE_MANAGER_RETENTION_MAX_COUNT="${maxCountText}" is not a count: expected an integer from 0`);
  }

  // Registry watching.
  const watchEnabled = boolean("UPDATE_MANAGER_WATCH_REGISTRIES") ?? true;
  const watchIntervalMs = duration("UPDATE_MANAGER_WATCH_INTERVAL", 5 * 60_000, { allowZero: false });
  if (watchIntervalMs < 30_000 || watchIntervalMs > 24 * 3_600_000) {
    problems.push("UPDATE_MANAGER_WATCH_INTERVAL must be between 30s and 24h (the bounds of the schedule annotation)");
  }
  const insecureRegistries = (variable("UPDATE_MANAGER_INSECURE_REGISTRIES") ?? "")
    .split(",")
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== "");
  for (const host of insecureRegistries) {
    if (!/^[a-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9a-f:]+\](:[0-9]{1,5})?$/.test(host)) {
      problems.push(`UPDATE_MANAGER_INSECURE_REGISTRIES: "${host}" is not a host[:port]`);
    }
  }

  // Node upgrade plans.
  const nodePlansEnabled = boolean("UPDATE_MANAGER_NODE_PLANS") ?? false;
  const planNamespace = variable("UPDATE_MANAGER_PLAN_NAMESPACE") ?? "system-upgrade";
  if (planNamespace.length > 63 || !dns1123Label.test(planNamespace)) {
    problems.push(`UPDATE_MANAGER_PLAN_NAMESPACE="${planNamespace}" is not a namespace name`);
  }
  const planChannelIntervalMs = duration("UPDATE_MANAGER_PLAN_CHANNEL_INTERVAL", 15 * 60_000, { allowZero: false });
  if (planChannelIntervalMs < 60_000) {
    problems.push("UPDATE_MANAGER_PLAN_CHANNEL_INTERVAL must be at least 1m: channels are release pages, not APIs to poll");
  }

  // The original's variables and typos.
  if (variable("SENTRY_DSN") !== undefined) {
    notices.push("SENTRY_DSN is ignored: errors are reported with OpenTelemetry, configure it with OTEL_* variables");
  }
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("UPDATE_MANAGER_") || (knownVariables as readonly string[]).includes(name)) continue;
    const suggestion = closestKnownVariable(name);
    notices.push(`unknown variable ${name} is ignored${suggestion === undefined ? "" : `; did you mean ${suggestion}?`}`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    listen: { host: listenHost, port: listenPort as number },
    admin: { host: adminHost, port: adminPort as number },
    namespaces,
    apiKey,
    cluster: { ...cluster, requested },
    insecureDemo,
    insecureDemoReason,
    keyPrefix,
    legacyAnnotation,
    defaultUpdateTimeoutMs,
    queueTimeoutMs,
    restStrictNoTargets,
    maxRequestBytes,
    reflection,
    log: { level, format },
    tls,
    shutdownGraceMs,
    store,
    managerNamespace,
    identity,
    leaderElection: { leaseDurationMs, renewDeadlineMs, retryPeriodMs },
    retention: { maxAgeMs: retentionMaxAgeMs, maxCount: retentionMaxCount },
    registryWatch: { enabled: watchEnabled, defaultScheduleMs: watchIntervalMs, insecureRegistries },
    nodePlans: { enabled: nodePlansEnabled, namespace: planNamespace, channelIntervalMs: planChannelIntervalMs },
    revision: variable("UPDATE_MANAGER_REVISION") ?? "unknown",
    notices,
  };
}

function parseFlags(argv: readonly string[], problems: string[]): Map<Flag, string> {
  const flags = new Map<Flag, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const equals = arg.indexOf("=");
    const name = equals === -1 ? arg : arg.slice(0, equals);
    if (!(name in flagVariables)) {
      problems.push(`unknown argument "${arg}": the flags are ${Object.keys(flagVariables).join(", ")}`);
      continue;
    }
    let value: string | undefined;
    if (equals !== -1) value = arg.slice(equals + 1);
    else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith("--")) value = argv[++i];
    if (value === undefined || value === "") {
      problems.push(`${name} needs a value`);
      continue;
    }
    flags.set(name as Flag, value);
  }
  return flags;
}

/** Where a pod's ServiceAccount token is mounted: its presence means the process runs in a pod. */
export const serviceAccountTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/**
 * The kubeconfig files `KUBECONFIG` names (a list, split on the path delimiter), checked as client-go would load
 * them: a problem when none exists (naming each) or when an existing one does not parse as a YAML mapping. Never
 * a silent fallback to the embedded cluster.
 */
function checkKubeconfigList(list: string, files: ConfigFiles, problems: string[]): string[] {
  const paths = list.split(delimiter).filter((path) => path !== "");
  const existing = paths.filter((path) => files.exists(path));
  if (existing.length === 0) {
    problems.push(`KUBECONFIG names no file that exists: ${paths.map((path) => `${path} (missing)`).join(", ")}`);
  }
  for (const path of existing) checkKubeconfigFile(path, "KUBECONFIG", files, problems);
  return existing;
}

function checkKubeconfigFile(path: string, source: string, files: ConfigFiles, problems: string[]): void {
  try {
    const document: unknown = parseYaml(files.readText(path));
    // An empty file is an empty kubeconfig to client-go, not an error; anything but a mapping is.
    if (document !== null && (typeof document !== "object" || Array.isArray(document))) {
      problems.push(`${source}: ${path} is not a kubeconfig (expected a YAML mapping with clusters, users and contexts)`);
    }
  } catch (error) {
    problems.push(`${source}: ${path} cannot be read as a kubeconfig: ${messageOf(error).split("\n", 1)[0]}`);
  }
}

/**
 * The cluster to use. `auto` picks the embedded (simulated) cluster only when no KUBECONFIG is set, no
 * ~/.kube/config exists and the process is not in a pod; a KUBECONFIG that cannot be used is a problem, not a
 * reason to simulate. `kubernetes` never falls back.
 */
function resolveCluster(
  requested: ClusterRequest,
  env: NodeJS.ProcessEnv,
  files: ConfigFiles,
  problems: string[],
): { mode: ClusterMode; reason: string } {
  if (requested === "embedded") return { mode: "embedded", reason: "UPDATE_MANAGER_CLUSTER=embedded" };
  const kubeconfigs = env.KUBECONFIG ? checkKubeconfigList(env.KUBECONFIG, files, problems) : [];
  if (requested === "kubernetes") return { mode: "kubernetes", reason: "UPDATE_MANAGER_CLUSTER=kubernetes" };
  if (env.KUBECONFIG) {
    return { mode: "kubernetes", reason: `kubeconfig ${kubeconfigs.join(", ") || env.KUBECONFIG} (KUBECONFIG)` };
  }
  if (env.KUBERNETES_SERVICE_HOST) {
    return { mode: "kubernetes", reason: "running in a cluster (KUBERNETES_SERVICE_HOST is set)" };
  }
  if (files.exists(serviceAccountTokenPath)) {
    return { mode: "kubernetes", reason: `running in a cluster (${serviceAccountTokenPath} exists)` };
  }
  const defaultPath = join(env.HOME || files.home(), ".kube", "config");
  if (files.exists(defaultPath)) {
    checkKubeconfigFile(defaultPath, "~/.kube/config", files, problems);
    return { mode: "kubernetes", reason: `kubeconfig ${defaultPath}` };
  }
  return { mode: "embedded", reason: "no KUBECONFIG, no ~/.kube/config and not in a pod" };
}

/** The known variable a typo most likely meant, if one is close enough. */
function closestKnownVariable(name: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const known of knownVariables) {
    const distance = editDistance(name, known);
    if (best === undefined || distance < best.distance) best = { name: known, distance };
  }
  return best !== undefined && best.distance <= 3 ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
