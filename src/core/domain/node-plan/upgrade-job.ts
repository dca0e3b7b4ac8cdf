import { tryParseImageReference } from "../image-reference.js";
import type { NodeUpgradePlanSpec, PassThrough, PlanContainer } from "./node-upgrade-plan.js";
import { mungeVersion } from "./parse-node-plan.js";
import { safeConcatName } from "./safe-concat-name.js";
import { planNodeLabel, upgradeJobName } from "./upgrade-job-name.js";

/** A batch/v1 Job as plain JSON: what the Kubernetes adapter creates, as the seed would have built it. */
export interface UpgradeJobManifest {
  readonly apiVersion: "batch/v1";
  readonly kind: "Job";
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly spec: {
    readonly backoffLimit: number;
    readonly activeDeadlineSeconds?: number;
    /** Dropped without a word by 1.20's API server (alpha there): the controller deletes succeeded Jobs itself. */
    readonly ttlSecondsAfterFinished: number;
    readonly template: {
      readonly metadata: { readonly labels: Readonly<Record<string, string>> };
      readonly spec: UpgradePodSpec;
    };
  };
}

export interface UpgradePodSpec {
  readonly nodeName: string;
  readonly hostIPC: true;
  readonly hostPID: true;
  readonly hostNetwork: true;
  readonly dnsPolicy: "ClusterFirstWithHostNet";
  readonly restartPolicy: "Never";
  readonly serviceAccountName?: string;
  readonly priorityClassName?: string;
  readonly imagePullSecrets?: readonly { readonly name: string }[];
  readonly tolerations: readonly PassThrough[];
  readonly volumes: readonly PassThrough[];
  readonly initContainers?: readonly UpgradeContainer[];
  readonly containers: readonly UpgradeContainer[];
}

export interface UpgradeContainer {
  readonly name: string;
  readonly image: string;
  readonly imagePullPolicy: "IfNotPresent";
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env: readonly PassThrough[];
  readonly envFrom?: readonly PassThrough[];
  readonly volumeMounts: readonly PassThrough[];
  readonly securityContext?: PassThrough;
}

export interface UpgradeJobRequest {
  readonly planName: string;
  /** The plans' namespace (UPDATE_MANAGER_PLAN_NAMESPACE). */
  readonly namespace: string;
  readonly spec: NodeUpgradePlanSpec;
  readonly nodeName: string;
  /** status.latestVersion: the tag of untagged images and SYSTEM_UPGRADE_PLAN_LATEST_VERSION. */
  readonly latestVersion: string;
  /** status.latestHash. */
  readonly latestHash: string;
  /** UPDATE_MANAGER_KEY_PREFIX, for the Job's labels. */
  readonly keyPrefix: string;
}

/** The seed's defaults (SYSTEM_UPGRADE_JOB_BACKOFF_LIMIT, SYSTEM_UPGRADE_JOB_TTL_SECONDS_AFTER_FINISH). */
export const upgradeJobBackoffLimit = 2;
export const upgradeJobTtlSeconds = 900;
/** Where the host's root filesystem is mounted: the seed's contract with upgrade images. */
export const hostRootMount = "/host";
const podInfoMount = "/run/system-upgrade/pod";

/** Labels of the Job and its pod: the plan, the node, and the plan label with the hash (as the seed sets them). */
export function upgradeJobLabels(keyPrefix: string, planName: string, nodeName: string, hash: string): Record<string, string> {
  return {
    [`${keyPrefix}/node-plan`]: planName,
    [`${keyPrefix}/node`]: nodeName,
    [planNodeLabel(keyPrefix, planName)]: hash,
  };
}

/**
 * The upgrade Job for one node, keeping the contract existing upgrade images rely on: pinned to the node
 * (`nodeName`: the scheduler, and so the cordon, are bypassed), host IPC, PID and network, the host's root at
 * /host, the pod's labels and annotations at /run/system-upgrade/pod, the plan's Secrets at their paths,
 * `SYSTEM_UPGRADE_NODE_NAME`, `SYSTEM_UPGRADE_POD_NAME`, `SYSTEM_UPGRADE_POD_UID`, `SYSTEM_UPGRADE_PLAN_NAME`,
 * `SYSTEM_UPGRADE_PLAN_LATEST_HASH` and `SYSTEM_UPGRADE_PLAN_LATEST_VERSION` in every container, images without a
 * tag tagged with the resolved version, `prepare` as an init container, `upgrade` privileged with CAP_SYS_BOOT.
 * Unlike the seed there are no cordon/drain init containers: the manager cordons and drains itself, before the Job.
 */
export function buildUpgradeJob(request: UpgradeJobRequest): UpgradeJobManifest {
  const { spec, planName, nodeName, latestHash, latestVersion } = request;
  const labels = upgradeJobLabels(request.keyPrefix, planName, nodeName, latestHash);
  const context: ContainerContext = { spec, planName, latestHash, latestVersion };
  const volumes: PassThrough[] = [
    { name: "host-root", hostPath: { path: "/", type: "Directory" } },
    {
      name: "pod-info",
      downwardAPI: {
        items: [
          { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
          { path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } },
        ],
      },
    },
    ...spec.secrets.map((secret) => ({ name: secretVolumeName(secret.name), secret: { secretName: secret.name } })),
    ...hostVolumes(spec),
  ];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: upgradeJobName(planName, nodeName, latestHash), namespace: request.namespace, labels },
    spec: {
      backoffLimit: upgradeJobBackoffLimit,
      ...(spec.jobActiveDeadlineSecs > 0 ? { activeDeadlineSeconds: spec.jobActiveDeadlineSecs } : {}),
      ttlSecondsAfterFinished: upgradeJobTtlSeconds,
      template: {
        metadata: { labels },
        spec: {
          nodeName,
          hostIPC: true,
          hostPID: true,
          hostNetwork: true,
          dnsPolicy: "ClusterFirstWithHostNet",
          restartPolicy: "Never",
          ...(spec.serviceAccountName === "" ? {} : { serviceAccountName: spec.serviceAccountName }),
          ...(spec.priorityClassName === "" ? {} : { priorityClassName: spec.priorityClassName }),
          ...(spec.imagePullSecrets.length === 0 ? {} : { imagePullSecrets: spec.imagePullSecrets.map((name) => ({ name })) }),
          tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }, ...spec.tolerations],
          volumes,
          ...(spec.prepare === undefined ? {} : { initContainers: [planContainer("prepare", spec.prepare, context, false)] }),
          containers: [planContainer("upgrade", spec.upgrade, context, true)],
        },
      },
    },
  };
}

/** The image, tagged with the resolved version (munged: "+" becomes "-") when it names neither tag nor digest. */
export function imageWithLatestTag(image: string, latestVersion: string): string {
  const ref = tryParseImageReference(image);
  // As the seed: an image that does not parse is left as it is (the kubelet will say why it cannot pull it).
  if (ref === undefined || ref.tag !== undefined || ref.digest !== undefined || latestVersion === "") return image;
  return `${image}:${mungeVersion(latestVersion)}`;
}

interface ContainerContext {
  readonly spec: NodeUpgradePlanSpec;
  readonly planName: string;
  readonly latestHash: string;
  readonly latestVersion: string;
}

function planContainer(name: string, container: PlanContainer, context: ContainerContext, privileged: boolean): UpgradeContainer {
  const fieldEnv = (envName: string, fieldPath: string): PassThrough => ({ name: envName, valueFrom: { fieldRef: { fieldPath } } });
  return {
    name,
    image: imageWithLatestTag(container.image, context.latestVersion),
    imagePullPolicy: "IfNotPresent",
    ...(container.command.length === 0 ? {} : { command: container.command }),
    ...(container.args.length === 0 ? {} : { args: container.args }),
    env: [
      fieldEnv("SYSTEM_UPGRADE_NODE_NAME", "spec.nodeName"),
      fieldEnv("SYSTEM_UPGRADE_POD_NAME", "metadata.name"),
      fieldEnv("SYSTEM_UPGRADE_POD_UID", "metadata.uid"),
      ...container.env,
      { name: "SYSTEM_UPGRADE_PLAN_NAME", value: context.planName },
      { name: "SYSTEM_UPGRADE_PLAN_LATEST_HASH", value: context.latestHash },
      { name: "SYSTEM_UPGRADE_PLAN_LATEST_VERSION", value: context.latestVersion },
    ],
    ...(container.envFrom.length === 0 ? {} : { envFrom: container.envFrom }),
    volumeMounts: [
      { name: "host-root", mountPath: hostRootMount },
      { name: "pod-info", mountPath: podInfoMount, readOnly: true },
      ...context.spec.secrets.map((secret) => ({ name: secretVolumeName(secret.name), mountPath: secret.path, readOnly: true })),
      ...container.volumes.map((volume) => ({ name: volume.name, mountPath: volume.destination })),
    ],
    ...(privileged ? { securityContext: { privileged: true, capabilities: { add: ["CAP_SYS_BOOT"] } } } : {}),
  };
}

function secretVolumeName(secret: string): string {
  // Volume names are DNS-1123 labels; Secret names may hold dots (the seed passed them through and failed).
  return safeConcatName("secret", secret.replaceAll(".", "-"));
}

/** The containers' host path volumes, once per name (prepare and upgrade may share one). */
function hostVolumes(spec: NodeUpgradePlanSpec): PassThrough[] {
  const byName = new Map<string, PassThrough>();
  for (const container of [spec.prepare, spec.upgrade]) {
    for (const volume of container?.volumes ?? []) {
      if (!byName.has(volume.name)) byName.set(volume.name, { name: volume.name, hostPath: { path: volume.source } });
    }
  }
  return [...byName.values()];
}
