import { DomainError } from "../../core/domain/domain-error.js";
import { ownerKey } from "../../core/domain/node-plan/evicted-owners.js";
import { emptyNodePlanStatus, type NodePlanStatus, type PodOwner } from "../../core/domain/node-plan/node-plan-status.js";
import type { UpgradeJobManifest } from "../../core/domain/node-plan/upgrade-job.js";
import { type Clock, systemClock } from "../../core/ports/clock.js";
import type { DisruptionBudget, EvictionResult, NodeInfo, NodePlansPort, PlanRecord, PodOnNode, UpgradeJobState } from "../../core/ports/node-plans.js";

export interface SimulatedNodePlansOptions {
  /** UPDATE_MANAGER_KEY_PREFIX: the upgrade Jobs carry `<prefix>/node-plan`. */
  readonly keyPrefix: string;
  /** Drives the Jobs, the reboots and the replacement pods. Default: systemClock. */
  readonly clock?: Clock;
  /** How long an upgrade Job runs before it succeeds. Default: 4000 ms. */
  readonly jobDurationMs?: number;
  /** How long a node is NotReady after its upgrade Job succeeded (the upgrade reboots it). Default: 2000 ms. */
  readonly rebootMs?: number;
  /** How long an evicted pod's replacement takes to become ready on another node. Default: 8000 ms. */
  readonly replacementReadyMs?: number;
  /** Told of every Event recorded on a plan (the demo logs them). Default: none. */
  readonly onEvent?: (event: SimulatedPlanEvent) => void;
}

export interface SimulatedPlanEvent {
  readonly plan: string;
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

/** A controller of pods as the simulation keeps it: `replicas` pods wanted, each placed on a node. */
interface SimulatedOwner extends PodOwner {
  readonly replicas: number;
}

interface SimulatedNodePod {
  readonly namespace: string;
  readonly name: string;
  readonly owner: SimulatedOwner;
  node: string;
  ready: boolean;
}

interface SimulatedBudget {
  readonly namespace: string;
  readonly name: string;
  readonly owner: SimulatedOwner;
  readonly maxUnavailable: number;
}

/**
 * An in-memory cluster behind the NodePlansPort, for the embedded demo (`npm start` without a cluster) and tests:
 * nodes, pods of ReplicaSets and StatefulSets placed on them, PodDisruptionBudgets that refuse an eviction the way
 * the API server does (429 while no disruption is allowed), replacement pods that become ready on another node a
 * little later, upgrade Jobs that succeed after `jobDurationMs` and nodes that reboot (NotReady) after their Job.
 * The extra methods seed it and show what happened.
 */
export interface SimulatedNodePlans extends NodePlansPort {
  addNode(name: string, labels?: Readonly<Record<string, string>>): void;
  /** A ReplicaSet or StatefulSet with one ready pod on each of `nodes` (its replicas: their number). */
  addWorkload(owner: PodOwner, nodes: readonly string[]): void;
  /** A PodDisruptionBudget over the workload's pods allowing `maxUnavailable` of them down. */
  addDisruptionBudget(name: string, owner: PodOwner, maxUnavailable: number): void;
  /** Creates the plan, or replaces its spec (generation + 1). */
  applyPlan(name: string, spec: unknown): void;
  /** Called (asynchronously) whenever something changed that a plan may wait for. */
  onChange(listener: () => void): void;
  /** The Events recorded on plans, oldest first. */
  events(): readonly SimulatedPlanEvent[];
  /** The pods on a node, by `namespace/name`. */
  podsOn(node: string): readonly string[];
  /** Cancels the pending Jobs, reboots and replacements. */
  stop(): void;
}

export function createSimulatedNodePlans(options: SimulatedNodePlansOptions): SimulatedNodePlans {
  const clock = options.clock ?? systemClock;
  const jobDurationMs = options.jobDurationMs ?? 4000;
  const rebootMs = options.rebootMs ?? 2000;
  const replacementReadyMs = options.replacementReadyMs ?? 8000;
  const jobLabel = `${options.keyPrefix}/node-plan`;
  let version = 0;
  let podSerial = 0;
  const plans = new Map<string, PlanRecord>();
  const nodes = new Map<string, { name: string; labels: Record<string, string>; unschedulable: boolean; ready: boolean }>();
  const pods = new Map<string, SimulatedNodePod>();
  const owners = new Map<string, SimulatedOwner>();
  const budgets: SimulatedBudget[] = [];
  const jobs = new Map<string, { manifest: UpgradeJobManifest; state: UpgradeJobState }>();
  const recorded: SimulatedPlanEvent[] = [];
  const listeners: (() => void)[] = [];
  const timers = new Set<() => void>();

  const nextVersion = () => String(++version);
  const changed = () =>
    queueMicrotask(() => {
      for (const listener of listeners) listener();
    });
  function after(ms: number, action: () => void): void {
    const cancel = clock.setTimer(ms, () => {
      timers.delete(cancel);
      action();
      changed();
    });
    timers.add(cancel);
  }
  const readyPods = (owner: PodOwner) => [...pods.values()].filter((pod) => pod.ready && ownerKey(pod.owner) === ownerKey(owner)).length;
  /** How many more of the owner's pods its budgets allow to go (Infinity without a budget). */
  const disruptionsAllowed = (owner: PodOwner) =>
    Math.min(Infinity, ...budgets.filter((b) => ownerKey(b.owner) === ownerKey(owner)).map((b) => readyPods(owner) - (b.owner.replicas - b.maxUnavailable)));

  /**
   * The evicted pod's replacement (a StatefulSet's keeps its name) on the schedulable node with the fewest pods,
   * ready after replacementReadyMs.
   */
  function replace(owner: SimulatedOwner, evicted: string): void {
    const candidates = [...nodes.values()].filter((node) => !node.unschedulable && node.ready);
    if (candidates.length === 0) {
      after(replacementReadyMs, () => replace(owner, evicted)); // nowhere to go yet: pending
      return;
    }
    const count = (node: string) => [...pods.values()].filter((pod) => pod.node === node).length;
    const target = candidates.toSorted((a, b) => count(a.name) - count(b.name) || a.name.localeCompare(b.name))[0]!;
    const name = owner.kind === "StatefulSet" ? evicted : `${owner.name}-${(++podSerial).toString(36).padStart(5, "0")}`;
    const pod: SimulatedNodePod = { namespace: owner.namespace, name, owner, node: target.name, ready: false };
    pods.set(`${pod.namespace}/${pod.name}`, pod);
    after(replacementReadyMs, () => {
      pod.ready = true;
    });
  }

  function toInfo(node: { name: string; labels: Record<string, string>; unschedulable: boolean; ready: boolean }): NodeInfo {
    return { name: node.name, uid: `uid-${node.name}`, labels: { ...node.labels }, unschedulable: node.unschedulable, ready: node.ready };
  }

  function nodeNamed(name: string) {
    const node = nodes.get(name);
    if (node === undefined) throw new DomainError("not-found", "CLUSTER_ERROR", `node ${name} not found`);
    return node;
  }

  return {
    listPlans: () => [...plans.values()],
    getPlan: (name) => plans.get(name),
    async writeStatus(name, resourceVersion, status: NodePlanStatus) {
      const plan = plans.get(name);
      if (plan === undefined) throw new DomainError("not-found", "CLUSTER_ERROR", `nodeupgradeplans ${name} not found`);
      if (plan.resourceVersion !== resourceVersion) throw new DomainError("aborted", "CLUSTER_ERROR", `nodeupgradeplans ${name} changed since it was read`);
      const next = { ...plan, status: structuredClone(status), resourceVersion: nextVersion() };
      plans.set(name, next);
      return next;
    },
    async setFinalizer(name, present) {
      const plan = plans.get(name);
      if (plan === undefined) return;
      if (!present && plan.deleting) plans.delete(name);
      else plans.set(name, { ...plan, finalized: present, resourceVersion: nextVersion() });
    },
    listNodes: () => [...nodes.values()].map(toInfo),
    getNode(name) {
      const node = nodes.get(name);
      return node === undefined ? undefined : toInfo(node);
    },
    async setUnschedulable(name, unschedulable) {
      nodeNamed(name).unschedulable = unschedulable;
      changed();
    },
    async labelNode(name, key, value) {
      const node = nodeNamed(name);
      node.labels = { ...node.labels, [key]: value };
      changed();
    },
    async listPodsOnNode(node): Promise<readonly PodOnNode[]> {
      return [...pods.values()]
        .filter((pod) => pod.node === node)
        .map((pod) => ({
          namespace: pod.namespace,
          name: pod.name,
          controllerKind: pod.owner.kind,
          controllerName: pod.owner.name,
          mirror: false,
          usesEmptyDir: false,
          labels: {},
          deletionTime: undefined,
          finished: false,
        }));
    },
    async evictPod(target, { deleteInstead }): Promise<EvictionResult> {
      const key = `${target.namespace}/${target.name}`;
      const pod = pods.get(key);
      if (pod === undefined) return "gone";
      if (!deleteInstead && pod.ready && disruptionsAllowed(pod.owner) <= 0) return "blocked";
      pods.delete(key); // terminates at once: the demo has no grace period to wait for
      replace(pod.owner, pod.name);
      changed();
      return "evicted";
    },
    listDisruptionBudgets: () =>
      budgets.map((budget): DisruptionBudget => ({ namespace: budget.namespace, name: budget.name, healthy: disruptionsAllowed(budget.owner) >= 0 })),
    async readOwnerReplicas(owner) {
      const found = owners.get(ownerKey(owner));
      return found === undefined ? undefined : { desired: found.replicas, ready: readyPods(found) };
    },
    async createJob(manifest) {
      const name = manifest.metadata.name;
      if (jobs.has(name)) return { created: false };
      const job = { manifest, state: { state: "running", hadPods: true } as UpgradeJobState };
      jobs.set(name, job);
      after(jobDurationMs, () => {
        if (jobs.get(name) !== job) return; // deleted meanwhile
        job.state = { state: "succeeded", finishTime: clock.now().toISOString() };
        const node = nodes.get(manifest.spec.template.spec.nodeName);
        if (node === undefined) return;
        node.ready = false; // the upgrade reboots the node
        after(rebootMs, () => {
          node.ready = true;
        });
      });
      return { created: true };
    },
    getJob: (name) => jobs.get(name)?.state,
    async deleteJob(name) {
      jobs.delete(name);
    },
    listJobs: (plan) => [...jobs.values()].filter((job) => job.manifest.metadata.labels[jobLabel] === plan).map((job) => job.manifest.metadata.name),
    async secretDigest() {
      return undefined; // the demo has no Secrets
    },
    recordEvent(plan, type, reason, message) {
      const event = { plan, type, reason, message };
      recorded.push(event);
      options.onEvent?.(event);
    },
    addNode(name, labels = {}) {
      nodes.set(name, { name, labels: { ...labels }, unschedulable: false, ready: true });
    },
    addWorkload(owner, on) {
      const workload: SimulatedOwner = { kind: owner.kind, namespace: owner.namespace, name: owner.name, replicas: on.length };
      owners.set(ownerKey(workload), workload);
      on.forEach((node, index) => {
        const name = owner.kind === "StatefulSet" ? `${owner.name}-${index}` : `${owner.name}-${(++podSerial).toString(36).padStart(5, "0")}`;
        pods.set(`${owner.namespace}/${name}`, { namespace: owner.namespace, name, owner: workload, node, ready: true });
      });
    },
    addDisruptionBudget(name, owner, maxUnavailable) {
      const workload = owners.get(ownerKey(owner));
      if (workload === undefined) throw new Error(`no workload ${ownerKey(owner)}`);
      budgets.push({ namespace: owner.namespace, name, owner: workload, maxUnavailable });
    },
    applyPlan(name, spec) {
      const previous = plans.get(name);
      plans.set(name, {
        name,
        uid: previous?.uid ?? `uid-plan-${name}`,
        generation: (previous?.generation ?? 0) + 1,
        resourceVersion: nextVersion(),
        spec: structuredClone(spec),
        status: previous?.status ?? emptyNodePlanStatus,
        deleting: false,
        finalized: previous?.finalized ?? false,
      });
      changed();
    },
    onChange(listener) {
      listeners.push(listener);
    },
    events: () => recorded,
    podsOn: (node) => [...pods.values()].filter((pod) => pod.node === node).map((pod) => `${pod.namespace}/${pod.name}`),
    stop() {
      for (const cancel of timers) cancel();
      timers.clear();
    },
  };
}
