import { createHash } from "node:crypto";
import {
  CoordinationV1Api,
  CoreV1Api,
  type Informer,
  type KubeConfig,
  makeInformer,
  type ObjectCache,
  PatchStrategy,
  setHeaderOptions,
  type V1Container,
  type V1Pod,
} from "@kubernetes/client-node";

/** Decides, per container image, how the fake node treats a pod. `pod` gives namespace, owners and labels. */
export type ImageRule = (image: string, pod: V1Pod) => boolean;

export interface KubeletBehaviour {
  /** Containers whose image matches keep crashing: Running, not ready, `CrashLoopBackOff`, growing restartCount. */
  crashLoop: ImageRule;
  /** Containers whose image matches never start: pod Pending with `ImagePullBackOff`. */
  imagePull: ImageRule;
  /** Job pods with a matching image end Failed (exit code 1) instead of Succeeded. */
  failJob: ImageRule;
  /** Image (as written in the pod spec) -> digest (`sha256:<hex>` or bare hex) reported in `imageID`. */
  digests: Map<string, string>;
}

export interface FakeKubeletOptions {
  /** Node name. Default: `fake-node-1`. */
  nodeName?: string;
  /**
   * More nodes this agent plays, each registered with its heartbeats and running the pods bound to it (node upgrade
   * plans pin their Jobs by `nodeName`). Pods nobody bound are still bound to `nodeName`. Default: none.
   */
  extraNodeNames?: string[];
  /** How long a Job pod runs before it ends. Default: 1 000 ms. */
  jobDurationMs?: number;
  /** Period of Node status and Lease heartbeats. Default: 10 000 ms, the kubelet's own. */
  heartbeatIntervalMs?: number;
  /** Period at which crash-looping containers restart once more. Default: 3 000 ms. */
  crashLoopIntervalMs?: number;
  /** Initial behaviour; see behave(). Default: every pod starts, every Job succeeds, digests hashed from images. */
  behaviour?: Partial<KubeletBehaviour>;
  /** Called with errors of background work (a pod update failed). Default: written to stderr. */
  onError?: (error: unknown) => void;
}

export interface FakeKubelet {
  readonly nodeName: string;
  /** `nodeName` and the extra nodes. */
  readonly nodeNames: readonly string[];
  /** Registers the Node and its Lease, starts heartbeats and the pod watch. */
  start(): Promise<void>;
  /** Changes behaviour from now on (merged into the current one) and re-evaluates every pod on the node. */
  behave(behaviour: Partial<KubeletBehaviour>): void;
  /** Stops watch, heartbeats and timers. Leaves the Node in place. */
  stop(): Promise<void>;
}

const POD_NETWORK = "198.51.100."; // TEST-NET-2: EndpointSlice validation rejects loopback pod IPs.
const NODE_IP = `${POD_NETWORK}1`;
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** A node agent that plays kubelet for a control plane without any container runtime. */
export function createFakeKubelet(kubeConfig: KubeConfig, options: FakeKubeletOptions = {}): FakeKubelet {
  const nodeName = options.nodeName ?? "fake-node-1";
  const nodeNames = [nodeName, ...(options.extraNodeNames ?? [])];
  const played = new Set(nodeNames);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const coordination = kubeConfig.makeApiClient(CoordinationV1Api);
  const onError = options.onError ?? ((error: unknown) => process.stderr.write(`fake-kubelet: ${describe(error)}\n`));
  let behaviour: KubeletBehaviour = {
    crashLoop: () => false,
    imagePull: () => false,
    failJob: () => false,
    digests: new Map(),
    ...options.behaviour,
  };
  let informer: (Informer<V1Pod> & ObjectCache<V1Pod>) | undefined;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Map<string, Promise<void>>();
  const dirty = new Set<string>();
  const podIPs = new Map<string, string>(); // uid -> IP
  const restarts = new Map<string, number>(); // uid -> restart count of crash-looping containers
  const jobEnds = new Map<string, "Succeeded" | "Failed">(); // uid -> decided end of a Job pod
  const jobsRunning = new Set<string>(); // uids of Job pods whose end is timed
  let nextIP = 2;

  const heartbeat = async (): Promise<void> => {
    await Promise.all(nodeNames.map((name) => heartbeatOf(name)));
  };

  const heartbeatOf = async (nodeName: string): Promise<void> => {
    const now = seconds();
    const condition = (type: string, status: string, reason: string) => ({
      type,
      status,
      reason,
      message: reason,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    });
    const resources = { cpu: "8", memory: "32Gi", pods: "110", "ephemeral-storage": "100Gi" };
    await core.patchNodeStatus(
      {
        name: nodeName,
        body: {
          status: {
            capacity: resources,
            allocatable: resources,
            addresses: [
              { type: "InternalIP", address: NODE_IP },
              { type: "Hostname", address: nodeName },
            ],
            conditions: [
              condition("MemoryPressure", "False", "KubeletHasSufficientMemory"),
              condition("DiskPressure", "False", "KubeletHasNoDiskPressure"),
              condition("PIDPressure", "False", "KubeletHasSufficientPID"),
              condition("Ready", "True", "KubeletReady"),
            ],
            nodeInfo: {
              kubeletVersion: "v1.20.2",
              kubeProxyVersion: "v1.20.2",
              containerRuntimeVersion: "fake://1.0.0",
              operatingSystem: "linux",
              architecture: "amd64",
              osImage: "fake",
              kernelVersion: "fake",
              machineID: nodeName,
              systemUUID: nodeName,
              bootID: nodeName,
            },
          },
        },
      },
      mergePatch,
    );
    await coordination.patchNamespacedLease(
      { name: nodeName, namespace: "kube-node-lease", body: { spec: { renewTime: microseconds() } } },
      mergePatch,
    );
  };

  const schedule = (namespace: string, name: string): void => {
    if (stopped) return;
    const key = `${namespace}/${name}`;
    if (inFlight.has(key)) {
      dirty.add(key); // one pass per pod at a time; a change during it triggers one more pass
      return;
    }
    const run = (async () => {
      do {
        dirty.delete(key);
        const pod = informer?.get(name, namespace);
        if (pod) await reconcile(pod).catch((error) => isCode(error, 404) || isCode(error, 409) || onError(error));
      } while (dirty.has(key) && !stopped);
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, run);
  };

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const reconcile = async (pod: V1Pod): Promise<void> => {
    const { name, namespace, uid } = pod.metadata as { name: string; namespace: string; uid: string };
    if (pod.spec?.nodeName && !played.has(pod.spec.nodeName)) return;
    if (pod.metadata?.deletionTimestamp) {
      await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
      return;
    }
    if (!pod.spec?.nodeName) {
      await core.createNamespacedPodBinding({
        name,
        namespace,
        body: { metadata: { name, namespace }, target: { kind: "Node", name: nodeName } },
      });
      return; // the binding's update event brings the pod back here
    }
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") return;
    const isJobPod = pod.metadata?.ownerReferences?.some((o) => o.kind === "Job") ?? false;
    const containers = pod.spec.containers;
    const pulling = containers.some((c) => behaviour.imagePull(image(c), pod));
    if (isJobPod && !pulling && !jobsRunning.has(uid)) {
      jobsRunning.add(uid);
      later(options.jobDurationMs ?? 1_000, () => {
        const current = informer?.get(name, namespace);
        if (!current || current.metadata?.uid !== uid) return;
        const fail = current.spec?.containers.some((c) => behaviour.failJob(image(c), current)) ?? false;
        jobEnds.set(uid, fail ? "Failed" : "Succeeded");
        schedule(namespace, name);
      });
    }
    const status = desiredStatus(pod, isJobPod ? jobEnds.get(uid) : undefined);
    if (signature(status) === signature(pod.status ?? {})) return;
    await core.patchNamespacedPodStatus({ name, namespace, body: { status } }, mergePatch);
  };

  const desiredStatus = (pod: V1Pod, jobEnd: "Succeeded" | "Failed" | undefined) => {
    const uid = pod.metadata?.uid as string;
    const now = seconds();
    const previous = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
    let ip = podIPs.get(uid);
    if (!ip) {
      ip = POD_NETWORK + nextIP;
      nextIP = nextIP >= 254 ? 2 : nextIP + 1;
      podIPs.set(uid, ip);
    }
    const containerStatuses = pod.spec!.containers.map((c) => {
      const img = image(c);
      const started = previous.get(c.name)?.state?.running?.startedAt ?? now;
      const base = { name: c.name, image: img, containerID: `containerd://${sha256(`${uid}/${c.name}`)}` };
      const imageID = `docker-pullable://${repository(img)}@${digestOf(img, behaviour.digests)}`;
      if (behaviour.imagePull(img, pod)) {
        const waiting = { reason: "ImagePullBackOff", message: `Back-off pulling image "${img}"` };
        return { ...base, containerID: undefined, imageID: "", ready: false, started: false, restartCount: 0, state: { waiting } };
      }
      if (jobEnd) {
        const code = jobEnd === "Failed" ? 1 : 0;
        const reason = code === 0 ? "Completed" : "Error";
        const terminated = { exitCode: code, reason, startedAt: started, finishedAt: now };
        return { ...base, imageID, ready: false, started: false, restartCount: 0, state: { terminated } };
      }
      if (!pod.metadata?.ownerReferences?.some((o) => o.kind === "Job") && behaviour.crashLoop(img, pod)) {
        const restartCount = restarts.get(uid) ?? 0;
        const waiting = { reason: "CrashLoopBackOff", message: `back-off restarting failed container ${c.name}` };
        const lastState = { terminated: { exitCode: 1, reason: "Error", startedAt: started, finishedAt: now } };
        return { ...base, imageID, ready: false, started: false, restartCount, state: { waiting }, lastState };
      }
      return { ...base, imageID, ready: true, started: true, restartCount: 0, state: { running: { startedAt: started } } };
    });
    const ready = !jobEnd && containerStatuses.every((s) => s.ready);
    const pending = containerStatuses.some((s) => s.state.waiting?.reason === "ImagePullBackOff");
    const phase = jobEnd ?? (pending ? "Pending" : "Running");
    const notReadyReason = jobEnd ? "PodCompleted" : "ContainersNotReady";
    const condition = (type: string, ok: boolean) => {
      const old = pod.status?.conditions?.find((c) => c.type === type);
      const status = ok ? "True" : "False";
      const lastTransitionTime = old?.status === status && old.lastTransitionTime ? old.lastTransitionTime : now;
      return { type, status, lastProbeTime: null, lastTransitionTime, ...(ok ? {} : { reason: notReadyReason }) };
    };
    return {
      phase,
      hostIP: NODE_IP,
      podIP: ip,
      podIPs: [{ ip }],
      startTime: pod.status?.startTime ?? now,
      conditions: [
        condition("Initialized", true),
        condition("Ready", ready),
        condition("ContainersReady", ready),
        condition("PodScheduled", true),
      ],
      containerStatuses,
    };
  };

  const register = async (nodeName: string): Promise<void> => {
    await core.createNode({ body: { metadata: { name: nodeName, labels: { "kubernetes.io/hostname": nodeName } } } }).catch(
      (error) => {
        if (!isCode(error, 409)) throw error;
      },
    );
    await coordination
      .createNamespacedLease({
        namespace: "kube-node-lease",
        body: { metadata: { name: nodeName }, spec: { holderIdentity: nodeName, leaseDurationSeconds: 40 } },
      })
      .catch((error) => {
        if (!isCode(error, 409)) throw error;
      });
  };

  return {
    nodeName,
    nodeNames,
    async start() {
      stopped = false;
      for (const name of nodeNames) await register(name);
      await heartbeat();
      const beat = setInterval(() => heartbeat().catch(onError), options.heartbeatIntervalMs ?? 10_000);
      const crash = setInterval(() => {
        for (const pod of informer?.list() ?? []) {
          const img = pod.spec?.containers.map(image) ?? [];
          if (!played.has(pod.spec?.nodeName ?? "") || !img.some((i) => behaviour.crashLoop(i, pod))) continue;
          restarts.set(pod.metadata!.uid!, (restarts.get(pod.metadata!.uid!) ?? 0) + 1);
          schedule(pod.metadata!.namespace!, pod.metadata!.name!);
        }
      }, options.crashLoopIntervalMs ?? 3_000);
      timers.add(beat).add(crash);
      const pods = makeInformer(kubeConfig, "/api/v1/pods", () => core.listPodForAllNamespaces());
      const onPod = (pod: V1Pod) => schedule(pod.metadata!.namespace!, pod.metadata!.name!);
      pods.on("add", onPod);
      pods.on("update", onPod);
      pods.on("delete", (pod) => {
        const uid = pod.metadata?.uid ?? "";
        for (const perPod of [podIPs, restarts, jobEnds]) perPod.delete(uid);
        jobsRunning.delete(uid);
      });
      // The informer stops on errors (apiserver restarting, timeouts): restart it while we are running.
      pods.on("error", (error) => {
        if (stopped) return;
        onError(error);
        later(1_000, () => {
          if (!stopped) pods.start().catch(onError);
        });
      });
      informer = pods;
      await pods.start();
    },
    behave(next) {
      behaviour = { ...behaviour, ...next };
      for (const pod of informer?.list() ?? []) schedule(pod.metadata!.namespace!, pod.metadata!.name!);
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await informer?.stop();
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}

function image(container: V1Container): string {
  return container.image ?? "";
}

/** `repo[:tag][@digest]` -> `repo` (a port in the registry host is not a tag). */
export function repository(image: string): string {
  const withoutDigest = image.split("@")[0] ?? image;
  const colon = withoutDigest.lastIndexOf(":");
  return colon > withoutDigest.lastIndexOf("/") ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** Digest the fake runtime "pulled": pinned in the image, else from the test's map, else a hash of the image. */
export function digestOf(image: string, digests: ReadonlyMap<string, string>): string {
  const pinned = image.split("@")[1];
  if (pinned) return pinned;
  const mapped = digests.get(image);
  if (mapped) return mapped.startsWith("sha256:") ? mapped : `sha256:${mapped}`;
  return `sha256:${sha256(image)}`;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** metav1.Time: RFC 3339 in whole seconds. */
function seconds(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** metav1.MicroTime: exactly six fractional digits. */
function microseconds(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

// What a status change a user would notice consists of; timestamps excluded so that an unchanged pod is not patched.
// biome-ignore lint/suspicious/noExplicitAny: compares the desired literal and the typed V1PodStatus alike.
function signature(status: any): string {
  return JSON.stringify({
    phase: status.phase,
    podIP: status.podIP,
    conditions: (status.conditions ?? []).map((c: { type: string; status: string }) => `${c.type}=${c.status}`).sort(),
    containers: (status.containerStatuses ?? []).map(
      // biome-ignore lint/suspicious/noExplicitAny: see above.
      (s: any) =>
        [
          s.name,
          s.imageID,
          s.ready,
          s.restartCount,
          s.state?.running ? "running" : s.state?.waiting ? `waiting:${s.state.waiting.reason}` : `terminated:${s.state?.terminated?.exitCode}`,
        ].join("|"),
    ),
  });
}

function isCode(error: unknown, code: number): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
