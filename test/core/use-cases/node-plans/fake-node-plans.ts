import { DomainError } from "../../../../src/core/domain/domain-error.js";
import { emptyNodePlanStatus, type NodePlanStatus } from "../../../../src/core/domain/node-plan/node-plan-status.js";
import type { UpgradeJobManifest } from "../../../../src/core/domain/node-plan/upgrade-job.js";
import type { Clock } from "../../../../src/core/ports/clock.js";
import type {
  DisruptionBudget,
  EvictionResult,
  NodeInfo,
  NodePlansPort,
  OwnerReplicas,
  PlanRecord,
  PodOnNode,
  UpgradeJobState,
} from "../../../../src/core/ports/node-plans.js";

export interface FakeJob {
  readonly manifest: UpgradeJobManifest;
  state: UpgradeJobState;
}

export interface FakeNode {
  name: string;
  uid: string;
  labels: Record<string, string>;
  unschedulable: boolean;
  ready: boolean;
}

/** Every write the controller made, in order, so tests can check what happened when. */
export type FakeWrite =
  | { kind: "status"; plan: string; applying: readonly string[] }
  | { kind: "cordon" | "uncordon"; node: string }
  | { kind: "label"; node: string; key: string; value: string }
  | { kind: "evict"; pod: string }
  | { kind: "job-created" | "job-deleted"; name: string }
  | { kind: "finalizer"; plan: string; present: boolean };

/** An in-memory NodePlansPort: plans with resourceVersions, nodes, pods, Jobs, budgets and Secrets. */
export function createFakeNodePlans(clock: Clock) {
  let version = 1;
  const plans = new Map<string, PlanRecord>();
  const nodes = new Map<string, FakeNode>();
  const pods = new Map<string, PodOnNode & { node: string }>();
  const jobs = new Map<string, FakeJob>();
  const budgets: DisruptionBudget[] = [];
  /** Pod controllers by `Kind/namespace/name`: what readOwnerReplicas answers (absent: gone). */
  const owners = new Map<string, OwnerReplicas>();
  const ownerReads: string[] = [];
  const secrets = new Map<string, string>();
  const events: { plan: string; type: string; reason: string; message: string }[] = [];
  const writes: FakeWrite[] = [];
  /** Pods a PodDisruptionBudget protects: evictions answer "blocked" while this returns true. */
  let evictionBlocked: (pod: PodOnNode) => boolean = () => false;
  /** False: Jobs get no pods (a quota of 0 pods). */
  let podsCreatable = true;
  const nextVersion = () => String(++version);

  const port: NodePlansPort = {
    listPlans: () => [...plans.values()],
    getPlan: (name) => plans.get(name),
    async writeStatus(name, resourceVersion, status) {
      const plan = plans.get(name);
      if (plan === undefined) throw new DomainError("not-found", "CLUSTER_ERROR", `plan ${name} not found`);
      if (plan.resourceVersion !== resourceVersion) throw new DomainError("aborted", "CLUSTER_ERROR", `plan ${name} changed (conflict)`);
      const next = { ...plan, status: structuredClone(status) as NodePlanStatus, resourceVersion: nextVersion() };
      plans.set(name, next);
      writes.push({ kind: "status", plan: name, applying: [...status.applying] });
      return next;
    },
    async setFinalizer(name, present) {
      const plan = plans.get(name);
      if (plan === undefined) return;
      writes.push({ kind: "finalizer", plan: name, present });
      if (!present && plan.deleting) plans.delete(name);
      else plans.set(name, { ...plan, finalized: present, resourceVersion: nextVersion() });
    },
    listNodes: () => [...nodes.values()].map(toInfo),
    getNode: (name) => {
      const node = nodes.get(name);
      return node === undefined ? undefined : toInfo(node);
    },
    async setUnschedulable(name, unschedulable) {
      const node = nodes.get(name);
      if (node === undefined) throw new DomainError("not-found", "CLUSTER_ERROR", `node ${name} not found`);
      node.unschedulable = unschedulable;
      writes.push({ kind: unschedulable ? "cordon" : "uncordon", node: name });
    },
    async labelNode(name, key, value) {
      const node = nodes.get(name);
      if (node === undefined) throw new DomainError("not-found", "CLUSTER_ERROR", `node ${name} not found`);
      node.labels = { ...node.labels, [key]: value };
      writes.push({ kind: "label", node: name, key, value });
    },
    async listPodsOnNode(node) {
      return [...pods.values()].filter((pod) => pod.node === node);
    },
    async evictPod(pod): Promise<EvictionResult> {
      const key = `${pod.namespace}/${pod.name}`;
      if (!pods.has(key)) return "gone";
      if (evictionBlocked(pod)) return "blocked";
      pods.delete(key);
      writes.push({ kind: "evict", pod: key });
      return "evicted";
    },
    listDisruptionBudgets: () => budgets,
    async readOwnerReplicas(owner) {
      const key = `${owner.kind}/${owner.namespace}/${owner.name}`;
      ownerReads.push(key);
      return owners.get(key);
    },
    async createJob(manifest) {
      if (jobs.has(manifest.metadata.name)) return { created: false };
      jobs.set(manifest.metadata.name, { manifest, state: { state: "running", hadPods: podsCreatable } });
      writes.push({ kind: "job-created", name: manifest.metadata.name });
      return { created: true };
    },
    getJob: (name) => jobs.get(name)?.state,
    async deleteJob(name) {
      if (jobs.delete(name)) writes.push({ kind: "job-deleted", name });
    },
    listJobs: (plan) => [...jobs.values()].filter((job) => job.manifest.metadata.labels["update-manager.io/node-plan"] === plan).map((job) => job.manifest.metadata.name),
    async secretDigest(name) {
      return secrets.get(name);
    },
    recordEvent(plan, type, reason, message) {
      events.push({ plan, type, reason, message });
    },
  };

  function toInfo(node: FakeNode): NodeInfo {
    return { name: node.name, uid: node.uid, labels: { ...node.labels }, unschedulable: node.unschedulable, ready: node.ready };
  }

  return {
    port,
    writes,
    events,
    budgets,
    owners,
    ownerReads,
    secrets,
    jobs,
    nodes,
    pods,
    /** Adds or replaces a plan's spec (generation + 1), keeping its status. */
    applyPlan(name: string, spec: unknown): void {
      const previous = plans.get(name);
      plans.set(name, {
        name,
        uid: previous?.uid ?? `uid-${name}`,
        generation: (previous?.generation ?? 0) + 1,
        resourceVersion: nextVersion(),
        spec: structuredClone(spec),
        status: previous?.status ?? emptyNodePlanStatus,
        deleting: false,
        finalized: previous?.finalized ?? false,
      });
    },
    deletePlan(name: string): void {
      const plan = plans.get(name);
      if (plan !== undefined) plans.set(name, { ...plan, deleting: true, resourceVersion: nextVersion() });
    },
    /** Someone else writes the plan (a conflict for whoever read it before). */
    touchPlan(name: string): void {
      const plan = plans.get(name);
      if (plan !== undefined) plans.set(name, { ...plan, resourceVersion: nextVersion() });
    },
    plan(name: string): PlanRecord {
      const plan = plans.get(name);
      if (plan === undefined) throw new Error(`no plan ${name}`);
      return plan;
    },
    addNode(name: string, labels: Record<string, string> = {}, options: { unschedulable?: boolean; ready?: boolean } = {}): void {
      nodes.set(name, { name, uid: `uid-${name}`, labels, unschedulable: options.unschedulable ?? false, ready: options.ready ?? true });
    },
    addPod(node: string, pod: Partial<PodOnNode> & { name: string }): void {
      const full = { namespace: "default", controllerKind: "ReplicaSet", mirror: false, usesEmptyDir: false, labels: {}, deletionTime: undefined, finished: false, ...pod, node };
      pods.set(`${full.namespace}/${full.name}`, full);
    },
    refusePods(refused: boolean): void {
      podsCreatable = !refused;
    },
    blockEvictions(rule: (pod: PodOnNode) => boolean): void {
      evictionBlocked = rule;
    },
    /** Ends a running Job. */
    finishJob(name: string, outcome: "succeeded" | "failed", reason?: string): void {
      const job = jobs.get(name);
      if (job === undefined) throw new Error(`no Job ${name}`);
      job.state = { state: outcome, finishTime: clock.now().toISOString(), ...(reason === undefined ? {} : { reason }) };
    },
    runningJobs(): string[] {
      return [...jobs.entries()].filter(([, job]) => job.state.state === "running").map(([name]) => name);
    },
  };
}

export type FakeNodePlans = ReturnType<typeof createFakeNodePlans>;
