import { createHash } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeConnection } from "../kube-connection.js";
import type { NodePlanStatus } from "../../../core/domain/node-plan/node-plan-status.js";
import { canonicalJson } from "../../../core/domain/node-plan/plan-hash.js";
import type { Clock } from "../../../core/ports/clock.js";
import type { CoreLogger } from "../../../core/ports/logger.js";
import type { DisruptionBudget, NodeInfo, NodePlansPort, OwnerReplicas, PlanRecord, PodOnNode, UpgradeJobState } from "../../../core/ports/node-plans.js";
import { isAlreadyExists, statusCodeOf, toDomainError } from "../kubernetes-errors.js";
import { type KindApi, collectionPath, objectPath } from "../kind-api.js";
import { createResilientInformer, type ResilientInformer } from "../resilient-informer.js";
import type { RestClient } from "../rest-client.js";
import { decodePlanStatus } from "./decode-plan-status.js";

export const nodeUpgradePlanApi: KindApi = { kind: "NodeUpgradePlan", group: "updatemanager.io", version: "v1alpha1", resource: "nodeupgradeplans" };
const nodeApi: KindApi = { kind: "Node", group: "", version: "v1", resource: "nodes" };
const jobApi: KindApi = { kind: "Job", group: "batch", version: "v1", resource: "jobs" };

export interface KubernetesNodePlansOptions {
  readonly kubeConfig: KubeConnection;
  readonly rest: RestClient;
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /** UPDATE_MANAGER_PLAN_NAMESPACE. */
  readonly namespace: string;
  /** UPDATE_MANAGER_KEY_PREFIX: the upgrade Jobs carry `<prefix>/node-plan`. */
  readonly keyPrefix: string;
  /** Told of every change of a plan, node, upgrade Job or budget (the runner reconciles then). */
  readonly onChange: () => void;
}

export interface KubernetesNodePlans extends NodePlansPort {
  /** Discovers the policy API version, then starts the informers; resolves once all have synced. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The manager's finalizer on plans: deleting a plan first uncordons what it cordoned and removes its Jobs. */
export const planFinalizer = "updatemanager.io/node-plan";

interface PlanObject extends KubernetesObject {
  spec?: unknown;
  status?: unknown;
}
interface NodeObject extends KubernetesObject {
  spec?: { unschedulable?: boolean };
  status?: { conditions?: { type: string; status: string }[] };
}
interface JobObject extends KubernetesObject {
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    completionTime?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
  };
}
interface BudgetObject extends KubernetesObject {
  status?: { currentHealthy?: number; desiredHealthy?: number };
}
/** A ReplicaSet, Deployment, StatefulSet or DaemonSet: the fields saying how many pods it wants ready, and has. */
interface OwnerObject extends KubernetesObject {
  spec?: { replicas?: number };
  status?: { readyReplicas?: number; desiredNumberScheduled?: number; numberReady?: number };
}
/** The resource of each controller kind the health gate awaits (awaitedOwnerKinds). */
const ownerResources: Readonly<Record<string, string>> = {
  ReplicaSet: "replicasets",
  Deployment: "deployments",
  StatefulSet: "statefulsets",
  DaemonSet: "daemonsets",
};
interface PodObject extends KubernetesObject {
  spec?: { volumes?: { emptyDir?: unknown }[] };
  status?: { phase?: string };
}

/**
 * The Kubernetes adapter of node upgrade plans: informers over the plans (in the plans' namespace), Nodes,
 * the upgrade Jobs (by label) and PodDisruptionBudgets, and plain REST calls for the writes. Status writes are
 * PUTs to /status with the cached resourceVersion; the cache keeps the newest written object so that a later
 * informer event of an older version never takes a claim back (resourceVersions compared as etcd revisions).
 */
export function createKubernetesNodePlans(options: KubernetesNodePlansOptions): KubernetesNodePlans {
  const { rest, namespace, keyPrefix, clock, logger } = options;
  const jobLabel = `${keyPrefix}/node-plan`;
  const written = new Map<string, PlanObject>();
  let policyVersion: "v1" | "v1beta1" = "v1";
  const informers: ResilientInformer<KubernetesObject>[] = [];
  let plans: ResilientInformer<PlanObject> | undefined;
  let nodes: ResilientInformer<NodeObject> | undefined;
  let jobs: ResilientInformer<JobObject> | undefined;
  let budgets: ResilientInformer<BudgetObject> | undefined;

  const fail = (verb: string, resource: string, name?: string, scope: string | undefined = namespace) => (error: unknown) => {
    throw toDomainError(error, { verb, resource, ...(scope === undefined ? {} : { namespace: scope }), ...(name === undefined ? {} : { name }) });
  };

  function informer<T extends KubernetesObject>(api: KindApi, scope: string | undefined, labelSelector?: string): ResilientInformer<T> {
    const changed = () => options.onChange();
    const created = createResilientInformer<T>({
      kubeConfig: options.kubeConfig,
      rest,
      api,
      ...(scope === undefined ? {} : { namespace: scope }),
      ...(labelSelector === undefined ? {} : { labelSelector }),
      clock,
      logger,
      onAdd: changed,
      onUpdate: changed,
      onDelete: changed,
    });
    informers.push(created as unknown as ResilientInformer<KubernetesObject>);
    return created;
  }

  /** The newest of the cached and the last written object. */
  function currentPlan(name: string): PlanObject | undefined {
    const cached = plans?.get(name, namespace);
    const mine = written.get(name);
    if (cached === undefined) return undefined; // deleted: what we wrote is gone too
    if (mine === undefined) return cached;
    const a = Number(cached.metadata?.resourceVersion);
    const b = Number(mine.metadata?.resourceVersion);
    if (Number.isFinite(a) && Number.isFinite(b) && b > a) return mine;
    written.delete(name);
    return cached;
  }

  function toRecord(object: PlanObject): PlanRecord {
    const metadata = object.metadata ?? {};
    return {
      name: metadata.name ?? "",
      uid: metadata.uid ?? "",
      generation: metadata.generation ?? 0,
      resourceVersion: metadata.resourceVersion ?? "",
      spec: object.spec,
      status: decodePlanStatus(object.status),
      deleting: metadata.deletionTimestamp !== undefined,
      finalized: (metadata.finalizers ?? []).includes(planFinalizer),
    };
  }

  function toNode(object: NodeObject): NodeInfo {
    return {
      name: object.metadata?.name ?? "",
      uid: object.metadata?.uid ?? "",
      labels: object.metadata?.labels ?? {},
      unschedulable: object.spec?.unschedulable === true,
      ready: object.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True") ?? false,
    };
  }

  const policyApi = (): KindApi => ({ kind: "PodDisruptionBudget", group: "policy", version: policyVersion, resource: "poddisruptionbudgets" });

  const port: KubernetesNodePlans = {
    async start() {
      // Discovery: policy/v1 (1.21+) or policy/v1beta1 (1.20) for budgets and evictions.
      try {
        await rest.request({ method: "GET", path: "/apis/policy/v1" });
        policyVersion = "v1";
      } catch (error) {
        if (statusCodeOf(error) !== 404) throw error;
        policyVersion = "v1beta1";
      }
      if (informers.length === 0) {
        plans = informer<PlanObject>(nodeUpgradePlanApi, namespace);
        nodes = informer<NodeObject>(nodeApi, undefined);
        jobs = informer<JobObject>(jobApi, namespace, jobLabel);
        budgets = informer<BudgetObject>(policyApi(), undefined);
      }
      for (const each of informers) each.start();
      await Promise.all(informers.map((each) => each.synced));
    },
    async stop() {
      await Promise.all(informers.map((each) => each.stop()));
    },
    listPlans: () => (plans?.list() ?? []).map((object) => toRecord(currentPlan(object.metadata?.name ?? "") ?? object)),
    getPlan(name) {
      const object = currentPlan(name);
      return object === undefined ? undefined : toRecord(object);
    },
    async writeStatus(name, resourceVersion, status: NodePlanStatus) {
      const current = currentPlan(name);
      if (current === undefined) throw toDomainError(Object.assign(new Error("not in the cache"), { statusCode: 404 }), { verb: "update", resource: "nodeupgradeplans/status", namespace, name });
      const body = { ...current, apiVersion: "updatemanager.io/v1alpha1", kind: "NodeUpgradePlan", metadata: { ...current.metadata, resourceVersion }, status };
      const answer = await rest
        .request<PlanObject>({ method: "PUT", path: `${objectPath(nodeUpgradePlanApi, namespace, name)}/status`, body })
        .catch(fail("update", "nodeupgradeplans/status.updatemanager.io", name));
      written.set(name, answer);
      return toRecord(answer);
    },
    async setFinalizer(name, present) {
      // A read-modify-write of metadata.finalizers (update, with the resourceVersion read): retried on conflicts.
      for (let attempt = 0; ; attempt++) {
        const current = await rest
          .request<PlanObject>({ method: "GET", path: objectPath(nodeUpgradePlanApi, namespace, name) })
          .catch((error) => (statusCodeOf(error) === 404 ? undefined : fail("get", "nodeupgradeplans.updatemanager.io", name)(error)));
        if (current === undefined) return;
        const finalizers = (current.metadata?.finalizers ?? []).filter((each) => each !== planFinalizer);
        if (present) finalizers.push(planFinalizer);
        try {
          const answer = await rest.request<PlanObject>({
            method: "PUT",
            path: objectPath(nodeUpgradePlanApi, namespace, name),
            body: { ...current, metadata: { ...current.metadata, finalizers } },
          });
          written.set(name, answer);
          return;
        } catch (error) {
          if (statusCodeOf(error) === 404) return;
          if (statusCodeOf(error) !== 409 || attempt >= 5) fail("update", "nodeupgradeplans.updatemanager.io", name)(error);
        }
      }
    },
    listNodes: () => (nodes?.list() ?? []).map(toNode),
    getNode(name) {
      const object = nodes?.get(name, "") ?? nodes?.list().find((node) => node.metadata?.name === name);
      return object === undefined ? undefined : toNode(object);
    },
    async setUnschedulable(node, unschedulable) {
      await rest
        .request({
          method: "PATCH",
          path: `/api/v1/nodes/${encodeURIComponent(node)}`,
          contentType: "application/merge-patch+json",
          body: { spec: { unschedulable: unschedulable ? true : null } },
        })
        .catch(fail("patch", "nodes", node, undefined));
    },
    async labelNode(node, key, value) {
      await rest
        .request({ method: "PATCH", path: `/api/v1/nodes/${encodeURIComponent(node)}`, contentType: "application/merge-patch+json", body: { metadata: { labels: { [key]: value } } } })
        .catch(fail("patch", "nodes", node, undefined));
    },
    async listPodsOnNode(node) {
      const list = await rest
        .request<{ items?: PodObject[] }>({ method: "GET", path: "/api/v1/pods", query: { fieldSelector: `spec.nodeName=${node}` } })
        .catch(fail("list", "pods", undefined, undefined));
      return (list.items ?? []).map((pod): PodOnNode => {
        const controller = pod.metadata?.ownerReferences?.find((owner) => owner.controller === true);
        return {
          namespace: pod.metadata?.namespace ?? "",
          name: pod.metadata?.name ?? "",
          controllerKind: controller?.kind,
          controllerName: controller?.name,
          mirror: pod.metadata?.annotations?.["kubernetes.io/config.mirror"] !== undefined,
          usesEmptyDir: pod.spec?.volumes?.some((volume) => volume.emptyDir !== undefined) ?? false,
          labels: pod.metadata?.labels ?? {},
          deletionTime: pod.metadata?.deletionTimestamp === undefined ? undefined : new Date(pod.metadata.deletionTimestamp).toISOString(),
          finished: pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed",
        };
      });
    },
    async evictPod(pod, { gracePeriodSeconds, deleteInstead }) {
      const path = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}`;
      const deleteOptions = gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds };
      try {
        if (deleteInstead) {
          await rest.request({ method: "DELETE", path, body: { apiVersion: "v1", kind: "DeleteOptions", ...deleteOptions } });
        } else {
          await rest.request({
            method: "POST",
            path: `${path}/eviction`,
            body: {
              apiVersion: `policy/${policyVersion}`,
              kind: "Eviction",
              metadata: { name: pod.name, namespace: pod.namespace },
              ...(gracePeriodSeconds === undefined ? {} : { deleteOptions }),
            },
          });
        }
        return "evicted";
      } catch (error) {
        const code = statusCodeOf(error);
        if (code === 404) return "gone";
        // 429: a PodDisruptionBudget does not allow it now.
        if (code === 429) return "blocked";
        return fail(deleteInstead ? "delete" : "create", deleteInstead ? "pods" : "pods/eviction", pod.name, pod.namespace)(error);
      }
    },
    listDisruptionBudgets: () =>
      (budgets?.list() ?? []).map(
        (budget): DisruptionBudget => ({
          namespace: budget.metadata?.namespace ?? "",
          name: budget.metadata?.name ?? "",
          healthy: (budget.status?.currentHealthy ?? 0) >= (budget.status?.desiredHealthy ?? 0),
        }),
      ),
    async readOwnerReplicas(owner): Promise<OwnerReplicas | undefined> {
      const resource = ownerResources[owner.kind];
      if (resource === undefined) return undefined;
      const object = await rest
        .request<OwnerObject>({ method: "GET", path: `/apis/apps/v1/namespaces/${encodeURIComponent(owner.namespace)}/${resource}/${encodeURIComponent(owner.name)}` })
        .catch((error) => (statusCodeOf(error) === 404 ? undefined : fail("get", `${resource}.apps`, owner.name, owner.namespace)(error)));
      if (object === undefined) return undefined;
      if (owner.kind === "DaemonSet") return { desired: object.status?.desiredNumberScheduled ?? 0, ready: object.status?.numberReady ?? 0 };
      // spec.replicas defaults to 1 when unset.
      return { desired: object.spec?.replicas ?? 1, ready: object.status?.readyReplicas ?? 0 };
    },
    async createJob(manifest) {
      try {
        await rest.request({ method: "POST", path: collectionPath(jobApi, namespace), body: manifest });
        return { created: true };
      } catch (error) {
        if (isAlreadyExists(error)) return { created: false };
        return fail("create", "jobs.batch", manifest.metadata.name)(error);
      }
    },
    getJob(name) {
      const job = jobs?.get(name, namespace);
      return job === undefined ? undefined : jobState(job);
    },
    async deleteJob(name) {
      await rest
        .request({ method: "DELETE", path: objectPath(jobApi, namespace, name), body: { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Background" } })
        .catch((error) => (statusCodeOf(error) === 404 ? undefined : fail("delete", "jobs.batch", name)(error)));
    },
    listJobs: (plan) => (jobs?.list() ?? []).filter((job) => job.metadata?.labels?.[jobLabel] === plan).map((job) => job.metadata?.name ?? ""),
    async secretDigest(name) {
      const secret = await rest
        .request<{ data?: Record<string, string> }>({ method: "GET", path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}` })
        .catch((error) => (statusCodeOf(error) === 404 ? undefined : fail("get", "secrets", name)(error)));
      if (secret === undefined) return undefined;
      return createHash("sha256").update(canonicalJson(secret.data ?? {})).digest("hex");
    },
    recordEvent(plan, type, reason, message) {
      const object = currentPlan(plan);
      const now = clock.now();
      const timestamp = `${now.toISOString().slice(0, 19)}Z`;
      const event = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: `${plan}.${now.getTime().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`, namespace },
        involvedObject: { apiVersion: "updatemanager.io/v1alpha1", kind: "NodeUpgradePlan", namespace, name: plan, ...(object?.metadata?.uid === undefined ? {} : { uid: object.metadata.uid }) },
        reason,
        message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
        type,
        source: { component: "update-manager" },
        reportingComponent: "update-manager",
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: 1,
      };
      // Events are a courtesy: a failure is logged, never fails the plan.
      rest.request({ method: "POST", path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, body: event }).catch((error) => {
        logger.warn({ plan, reason, err: error }, "could not record an Event on the plan");
      });
    },
  };
  return port;
}

/** The Job's outcome as its conditions say. */
function jobState(job: JobObject): UpgradeJobState {
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find((condition) => condition.type === "Failed" && condition.status === "True");
  if (failed !== undefined) {
    return {
      state: "failed",
      reason: [failed.reason, failed.message].filter((part) => part !== undefined && part !== "").join(": "),
      ...(failed.lastTransitionTime === undefined ? {} : { finishTime: new Date(failed.lastTransitionTime).toISOString() }),
    };
  }
  const complete = conditions.find((condition) => condition.type === "Complete" && condition.status === "True");
  if (complete !== undefined) {
    const at = job.status?.completionTime ?? complete.lastTransitionTime;
    return { state: "succeeded", ...(at === undefined ? {} : { finishTime: new Date(at).toISOString() }) };
  }
  const pods = (job.status?.active ?? 0) + (job.status?.succeeded ?? 0) + (job.status?.failed ?? 0);
  return { state: "running", hadPods: pods > 0 };
}
