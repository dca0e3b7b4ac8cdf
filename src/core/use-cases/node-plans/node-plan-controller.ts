import { isDomainError } from "../../domain/domain-error.js";
import { awaitedOwnersOf, containsOwners, mergeOwners, ownerKey } from "../../domain/node-plan/evicted-owners.js";
import type { NodeResult, NodePlanStatus, PlanCondition, PodOwner } from "../../domain/node-plan/node-plan-status.js";
import { findCondition, setCondition } from "../../domain/node-plan/node-plan-status.js";
import { type PlanSteps, recordPlanEvents } from "../../domain/node-plan/node-plan-event.js";
import type { NodeUpgradePlanSpec, PlanWindow } from "../../domain/node-plan/node-upgrade-plan.js";
import { isVersionTag, parseNodePlan } from "../../domain/node-plan/parse-node-plan.js";
import { canonicalJson, planHash } from "../../domain/node-plan/plan-hash.js";
import { scheduleNodes, type WaitReason } from "../../domain/node-plan/schedule-nodes.js";
import { windowContains } from "../../domain/node-plan/time-window.js";
import { nextCommonOpening } from "../../domain/window-policy.js";
import { buildUpgradeJob } from "../../domain/node-plan/upgrade-job.js";
import { planNodeLabel, upgradeJobName } from "../../domain/node-plan/upgrade-job-name.js";
import type { FreezeState } from "../../domain/freeze.js";
import type { Clock } from "../../ports/clock.js";
import type { FreezeStore } from "../../ports/freeze-store.js";
import type { CoreLogger } from "../../ports/logger.js";
import type { ChannelResolver, NodePlansPort, PlanRecord, PodOnNode } from "../../ports/node-plans.js";
import type { NotificationDispatcher } from "../notification-dispatcher.js";
import { drainCandidates, drainNode } from "./drain-node.js";

export interface NodePlanControllerOptions {
  /** UPDATE_MANAGER_KEY_PREFIX: node labels are `plan.<prefix>/<plan>`. */
  readonly keyPrefix: string;
  /** UPDATE_MANAGER_PLAN_NAMESPACE: where plans and their Jobs live. */
  readonly namespace: string;
  /** How often a channel is resolved at most. Default 15 min, as the seed. */
  readonly channelIntervalMs?: number;
  /** How long the health gate between nodes may stay closed before the plan fails. Default 10 min. */
  readonly healthGateTimeoutMs?: number;
  /** How long a succeeded upgrade Job is kept. Default 900 s, the seed's ttlSecondsAfterFinished. */
  readonly succeededJobTtlMs?: number;
  /** How long one channel request may take. Default 30 s. */
  readonly channelTimeoutMs?: number;
  /**
   * How long an upgrade Job may have no pod at all (FailedCreate: a quota, an admission webhook, Pod Security)
   * before the node fails with that reason. Default 45 s: with the 5 s between passes over a plan in flight on top,
   * a plan fails within 60 s (README; pods are created within a second when nothing refuses them).
   */
  readonly podCreationTimeoutMs?: number;
  /**
   * The windows of the policies file that apply to a plan (by name): each must be open too, as well as the plan's
   * own `window`. Default: none.
   */
  readonly extraWindows?: (plan: string) => readonly PlanWindow[];
}

export interface NodePlanControllerDeps {
  readonly port: NodePlansPort;
  readonly channels: ChannelResolver;
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /**
   * The global freeze (README "Freeze"): while frozen no node is claimed; nodes already claimed finish. A freeze that
   * cannot be read counts as frozen. Default: never frozen.
   */
  readonly freeze?: Pick<FreezeStore, "get">;
  /** Told when a plan starts applying a hash (its first node claimed) and when it fails. Default: nobody. */
  readonly notify?: NodePlanNotifications;
}

/** The notification hooks a plan calls (the dispatcher's dedupe keeps a restarted leader from repeating them). */
export type NodePlanNotifications = Pick<NotificationDispatcher, "nodePlanStarted" | "nodePlanFailed">;

/** When to reconcile the plan again by time (changes of plans, nodes and Jobs trigger it anyway). */
export interface ReconcileResult {
  readonly requeueAfterMs?: number;
}

export interface NodePlanController {
  /**
   * One pass over the plan: judge the spec, resolve the version, advance the nodes it applies, claim the next
   * ones (a status write with a resourceVersion precondition, before anything is done to them), and write the
   * status. Idempotent: every step can be repeated after a crash. Run passes of all plans one at a time (the
   * exclusive check and the node claims of one plan see the others' claims).
   */
  reconcile(name: string): Promise<ReconcileResult>;
  /** Deletes succeeded upgrade Jobs older than their TTL (1.20's API server ignores ttlSecondsAfterFinished). */
  sweepJobs(): Promise<void>;
}

export const defaultChannelIntervalMs = 15 * 60_000;
export const defaultHealthGateTimeoutMs = 10 * 60_000;
export const defaultSucceededJobTtlMs = 900_000;
export const defaultPodCreationTimeoutMs = 45_000;
/** A status write outside a pass over a valid spec (invalid spec, unresolved version): no node steps to tell. */
const noSteps: PlanSteps = { cordon: false, drain: false };
/** How often a plan with nodes in flight, or waiting for its health gate, is looked at again. */
const activeRequeueMs = 5_000;

export function createNodePlanController(deps: NodePlanControllerDeps, options: NodePlanControllerOptions): NodePlanController {
  const { port, clock, logger } = deps;
  const channelIntervalMs = options.channelIntervalMs ?? defaultChannelIntervalMs;
  const healthGateTimeoutMs = options.healthGateTimeoutMs ?? defaultHealthGateTimeoutMs;
  const succeededJobTtlMs = options.succeededJobTtlMs ?? defaultSucceededJobTtlMs;
  const channelTimeoutMs = options.channelTimeoutMs ?? 30_000;
  const extraWindows = options.extraWindows ?? (() => []);
  const podCreationTimeoutMs = options.podCreationTimeoutMs ?? defaultPodCreationTimeoutMs;

  /** The freeze now; a store that cannot be read holds the plans (fail closed). */
  async function readFreeze(): Promise<Pick<FreezeState, "frozen" | "reason">> {
    if (deps.freeze === undefined) return { frozen: false, reason: "" };
    try {
      return await deps.freeze.get();
    } catch (error) {
      logger.warn({ err: error }, "node plans: the freeze cannot be read; no node is claimed until it can");
      return { frozen: true, reason: `the freeze cannot be read: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /**
   * Writes the status when it changed; false on a conflict (the next pass decides again on a fresh read). The steps
   * it records since the status read are appended to status.events in the same write (WatchNodePlan streams them).
   */
  async function write(plan: PlanRecord, next: NodePlanStatus, steps: PlanSteps = noSteps): Promise<boolean> {
    const status = recordPlanEvents(plan.status, next, clock.now(), steps);
    if (canonicalJson(status) === canonicalJson(plan.status)) return true;
    try {
      await port.writeStatus(plan.name, plan.resourceVersion, status);
      return true;
    } catch (error) {
      if (isDomainError(error, "aborted")) return false;
      throw error;
    }
  }

  function condition(status: NodePlanStatus, next: Omit<PlanCondition, "lastTransitionTime">): NodePlanStatus {
    return { ...status, conditions: setCondition(status.conditions, next, clock.now()) };
  }

  async function resolveVersion(
    plan: PlanRecord,
    spec: NodeUpgradePlanSpec,
    status: NodePlanStatus,
  ): Promise<{ status: NodePlanStatus; version: string | undefined }> {
    if (spec.version !== "") {
      return { status: condition(status, { type: "LatestResolved", status: "True", reason: "Version", message: `spec.version ${spec.version}` }), version: spec.version };
    }
    const now = clock.now();
    const last = status.lastResolveTime === undefined ? undefined : Date.parse(status.lastResolveTime);
    const resolvedFromThisChannel = status.latestVersion !== "" && status.conditions.some((c) => c.type === "LatestResolved" && c.reason === "Channel");
    if (resolvedFromThisChannel && last !== undefined && now.getTime() - last < channelIntervalMs) return { status, version: status.latestVersion };
    const abort = new AbortController();
    const cancel = clock.setTimer(channelTimeoutMs, () => abort.abort(new Error(`no answer within ${channelTimeoutMs} ms`)));
    try {
      const version = await deps.channels.resolve(spec.channel, abort.signal);
      if (!isVersionTag(version)) throw new Error(`the channel answered ${JSON.stringify(version)}, which cannot be an image tag`);
      const resolved = condition(
        { ...status, lastResolveTime: now.toISOString() },
        { type: "LatestResolved", status: "True", reason: "Channel", message: `${spec.channel} resolved to ${version}` },
      );
      return { status: resolved, version };
    } catch (error) {
      const message = `resolving ${spec.channel}: ${error instanceof Error ? error.message : String(error)}`;
      port.recordEvent(plan.name, "Warning", "ChannelError", message);
      logger.warn({ plan: plan.name, err: error }, "channel not resolved");
      const failed = condition({ ...status, lastResolveTime: now.toISOString(), message }, { type: "LatestResolved", status: "False", reason: "ChannelError", message });
      // A version resolved before keeps the plan going; without one there is nothing to apply.
      return { status: failed, version: status.latestVersion === "" ? undefined : status.latestVersion };
    } finally {
      cancel();
    }
  }

  /** Advances one claimed node as far as it can go now. Returns its new result, or undefined once released. */
  async function advance(plan: PlanRecord, spec: NodeUpgradePlanSpec, version: string, hash: string, result: NodeResult): Promise<NodeResult | undefined> {
    const now = clock.now().toISOString();
    const node = port.getNode(result.name);
    if (result.hash !== hash) {
      // The spec changed under a node: a claim not yet started is released; a started Job runs to its end.
      if (result.phase === "Claimed" || port.getJob(result.jobName) === undefined) {
        if (result.cordonedByPlan && node?.unschedulable) await port.setUnschedulable(result.name, false);
        return undefined;
      }
    }
    if (node === undefined) {
      const message = `node ${result.name} no longer exists`;
      port.recordEvent(plan.name, "Warning", "NodeGone", message);
      return { ...result, phase: "Failed", message, finishTime: now };
    }
    if (result.phase === "Claimed") {
      if (result.cordonedByPlan && !node.unschedulable) await port.setUnschedulable(result.name, true);
      let owners = result.evictedOwners ?? [];
      if (spec.drain !== undefined) {
        const ownPod = (pod: PodOnNode) => pod.labels[`${options.keyPrefix}/node-plan`] !== undefined;
        // Intent before action: the owners of the pods about to be evicted are in status (this pass's write)
        // before the first eviction, so a manager killed mid-drain or mid-gate still waits for them.
        const toEvict = awaitedOwnersOf(drainCandidates(await port.listPodsOnNode(result.name), spec.drain, ownPod).filter((pod) => !pod.finished));
        if (!containsOwners(owners, toEvict)) return { ...result, evictedOwners: mergeOwners(owners, toEvict) };
        const drained = await drainNode({ port, clock }, result.name, spec.drain, ownPod);
        if (!drained.drained) {
          port.recordEvent(plan.name, "Warning", "DrainFailed", drained.reason);
          return { ...result, phase: "Failed", message: drained.reason, finishTime: clock.now().toISOString() };
        }
        owners = mergeOwners(owners, awaitedOwnersOf(drained.evicted)); // pods that arrived since: recorded with the Job
      }
      const manifest = buildUpgradeJob({ planName: plan.name, namespace: options.namespace, spec, nodeName: result.name, latestVersion: version, latestHash: hash, keyPrefix: options.keyPrefix });
      await port.createJob(manifest);
      port.recordEvent(plan.name, "Normal", "JobStarted", `upgrade Job ${manifest.metadata.name} started on ${result.name}`);
      return {
        ...result,
        phase: "JobStarted",
        message: `Job ${manifest.metadata.name} running`,
        jobStartTime: clock.now().toISOString(),
        ...(owners.length === 0 ? {} : { evictedOwners: owners }),
      };
    }
    const job = port.getJob(result.jobName);
    if (job === undefined) {
      // Deleted by someone before it finished: run it again (the name is deterministic, so never twice at once).
      if (result.hash === hash) {
        await port.createJob(buildUpgradeJob({ planName: plan.name, namespace: options.namespace, spec, nodeName: result.name, latestVersion: version, latestHash: hash, keyPrefix: options.keyPrefix }));
      }
      return result;
    }
    if (job.state === "running") {
      const waited = clock.now().getTime() - Date.parse(result.jobStartTime ?? result.startTime);
      if (job.hadPods !== false || waited < podCreationTimeoutMs) return result;
      const message =
        `upgrade Job ${result.jobName} on ${result.name}: FailedCreate: no pod could be created within ${Math.round(podCreationTimeoutMs / 1000)} s ` +
        `(a ResourceQuota, an admission webhook or Pod Security refuses it; kubectl -n ${options.namespace} describe job ${result.jobName})`;
      port.recordEvent(plan.name, "Warning", "FailedCreate", message);
      return { ...result, phase: "Failed", message, finishTime: now };
    }
    if (job.state === "failed") {
      const message = `upgrade Job ${result.jobName} failed on ${result.name}: ${job.reason ?? "unknown reason"}`;
      port.recordEvent(plan.name, "Warning", "JobFailed", message);
      return { ...result, phase: "Failed", message, finishTime: job.finishTime ?? now };
    }
    await port.labelNode(result.name, planNodeLabel(options.keyPrefix, plan.name), result.hash);
    if (result.cordonedByPlan) await port.setUnschedulable(result.name, false);
    port.recordEvent(plan.name, "Normal", "NodeUpgraded", `${result.name} upgraded to ${version} (hash ${result.hash.slice(0, 12)})`);
    const { message: _done, ...rest } = result;
    return { ...rest, phase: "Succeeded", finishTime: job.finishTime ?? now };
  }

  /**
   * The owners of the pods evicted from the plan's succeeded nodes that are not back at their desired ready replicas
   * yet; the owners that are back (or gone) are dropped from the nodes' results, so each is waited for once.
   */
  async function awaitEvictedOwners(nodes: readonly NodeResult[], hash: string): Promise<{ nodes: NodeResult[]; waiting: string[] }> {
    const seen = new Map<string, Promise<string | undefined>>();
    /** Undefined when back; otherwise what it waits for. */
    const check = (owner: PodOwner): Promise<string | undefined> => {
      const key = ownerKey(owner);
      let found = seen.get(key);
      if (found === undefined) {
        found = port.readOwnerReplicas(owner).then(
          (replicas) => (replicas === undefined || replicas.ready >= replicas.desired ? undefined : `${key} (${replicas.ready}/${replicas.desired} ready)`),
          (error: unknown) => `${key} (cannot read it: ${error instanceof Error ? error.message : String(error)})`,
        );
        seen.set(key, found);
      }
      return found;
    };
    const waiting = new Set<string>();
    const next = await Promise.all(
      nodes.map(async (r): Promise<NodeResult> => {
        if (r.hash !== hash || r.phase !== "Succeeded" || r.evictedOwners === undefined) return r;
        const left: PodOwner[] = [];
        for (const owner of r.evictedOwners) {
          const why = await check(owner);
          if (why !== undefined) {
            left.push(owner);
            waiting.add(why);
          }
        }
        const { evictedOwners: _checked, ...rest } = r;
        return left.length === 0 ? rest : { ...rest, evictedOwners: left };
      }),
    );
    return { nodes: next, waiting: [...waiting].sort() };
  }

  /**
   * The health gate after the last finished node: delay passed, the plan's nodes Ready, the owners of the pods
   * their drains evicted back at their desired ready replicas, every budget healthy (allowing >= 0 disruptions).
   */
  function gate(spec: NodeUpgradePlanSpec, status: NodePlanStatus, hash: string, ownersWaiting: readonly string[]): { open: boolean; expired: boolean; why?: string } {
    if (status.lastNodeFinishTime === undefined) return { open: true, expired: false };
    const since = clock.now().getTime() - Date.parse(status.lastNodeFinishTime);
    if (since < spec.postCompleteDelayMs) return { open: false, expired: false, why: "postCompleteDelay" };
    const notReady = status.nodes.filter((r) => r.hash === hash && r.phase === "Succeeded" && port.getNode(r.name)?.ready === false).map((r) => r.name);
    const unhealthy = port.listDisruptionBudgets().filter((budget) => !budget.healthy).map((b) => `${b.namespace}/${b.name}`);
    if (notReady.length === 0 && unhealthy.length === 0 && ownersWaiting.length === 0) return { open: true, expired: false };
    const why = [
      ...(notReady.length > 0 ? [`nodes not Ready: ${notReady.join(", ")}`] : []),
      ...(ownersWaiting.length > 0 ? [`evicted pods' owners not back at their desired ready replicas: ${ownersWaiting.join(", ")}`] : []),
      ...(unhealthy.length > 0 ? [`PodDisruptionBudgets below their desired healthy pods: ${unhealthy.join(", ")}`] : []),
    ].join("; ");
    return { open: false, expired: since - spec.postCompleteDelayMs > healthGateTimeoutMs, why };
  }

  async function finalize(plan: PlanRecord): Promise<ReconcileResult> {
    for (const result of plan.status.nodes) {
      if (result.cordonedByPlan && result.phase !== "Succeeded" && port.getNode(result.name)?.unschedulable) await port.setUnschedulable(result.name, false);
    }
    for (const job of port.listJobs(plan.name)) await port.deleteJob(job);
    if (plan.finalized) await port.setFinalizer(plan.name, false);
    logger.info({ plan: plan.name }, "plan deleted: uncordoned what it cordoned and removed its Jobs");
    return {};
  }

  /** The last error each plan's pass threw, told as an Event once (a pass failing every retry is not an Event each time). */
  const reportedErrors = new Map<string, string>();

  /** A pass that throws (an API call refused or failing) is told as a Warning Event on the plan too, then rethrown. */
  async function reconcile(name: string): Promise<ReconcileResult> {
    try {
      const result = await reconcileOnce(name);
      reportedErrors.delete(name);
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (reportedErrors.get(name) !== message) {
        reportedErrors.set(name, message);
        port.recordEvent(name, "Warning", "ReconcileError", message);
      }
      throw error;
    }
  }

  async function reconcileOnce(name: string): Promise<ReconcileResult> {
    const plan = port.getPlan(name);
    if (plan === undefined) return {};
    if (plan.deleting) return finalize(plan);
    if (!plan.finalized) {
      await port.setFinalizer(name, true);
      return { requeueAfterMs: 0 };
    }
    const now = clock.now();
    let status: NodePlanStatus = { ...plan.status, observedGeneration: plan.generation };
    const parsed = parseNodePlan(name, plan.spec);
    if (!parsed.valid) return invalid(plan, status, parsed.reason, parsed.message);
    const { spec } = parsed;
    const digests: string[] = [];
    for (const secret of spec.secrets) {
      const digest = await port.secretDigest(secret.name);
      if (digest === undefined) return invalid(plan, status, "UnknownSecret", `spec.secrets: Secret ${secret.name} does not exist in ${options.namespace}`);
      if (!secret.ignoreUpdates) digests.push(digest);
    }
    status = condition(status, { type: "Validated", status: "True", reason: "Valid", message: "the spec is valid" });

    const resolved = await resolveVersion(plan, spec, status);
    status = resolved.status;
    if (resolved.version === undefined) {
      await write(plan, status);
      return { requeueAfterMs: 60_000 };
    }
    const version = resolved.version;
    const hash = planHash(version, spec, digests);
    status = { ...status, latestVersion: version, latestHash: hash };

    // Advance the claimed nodes, side by side.
    const claimed = new Set(status.applying);
    const advanced = await Promise.all(
      status.nodes.filter((r) => claimed.has(r.name)).map(async (r) => ({ name: r.name, next: await advance(plan, spec, version, hash, r) })),
    );
    const byName = new Map(status.nodes.map((r) => [r.name, r] as const));
    let lastFinish = status.lastNodeFinishTime;
    for (const { name: node, next } of advanced) {
      if (next === undefined) byName.delete(node);
      else byName.set(node, next);
      if (next !== undefined && (next.phase === "Succeeded" || next.phase === "Failed")) lastFinish = next.finishTime ?? now.toISOString();
    }
    const stillApplying = status.applying.filter((node) => {
      const r = byName.get(node);
      return r !== undefined && (r.phase === "Claimed" || r.phase === "JobStarted");
    });
    // Results of earlier hashes are dropped once nothing runs for them, except a failed node the plan cordoned and
    // that is still cordoned: the plan owes it its uncordon (after the new hash upgraded it, or when deleted).
    const owesUncordon = (r: NodeResult) => r.hash !== hash && r.phase === "Failed" && r.cordonedByPlan && port.getNode(r.name)?.unschedulable === true;
    const owners = await awaitEvictedOwners(
      [...byName.values()].filter((r) => r.hash === hash || stillApplying.includes(r.name) || owesUncordon(r)),
      hash,
    );
    const nodes = owners.nodes;
    status = { ...status, applying: stillApplying, nodes, ...(lastFinish === undefined ? {} : { lastNodeFinishTime: lastFinish }) };
    // A node that stopped after recording what its drain will evict: evict now, on the next pass.
    const intentRecorded = advanced.some(({ next }) => next?.phase === "Claimed");

    // Decide what may start now.
    const failed = nodes.find((r) => r.hash === hash && r.phase === "Failed");
    const gated = gate(spec, status, hash, owners.waiting);
    const others = port.listPlans().filter((other) => other.name !== name);
    const windows = [...(spec.window === undefined ? [] : [spec.window]), ...extraWindows(name)];
    const windowOpen = windows.every((window) => windowContains(window, now));
    // Read after the nodes in flight advanced: a freeze never stops a node half-drained or cordoned.
    const freeze = await readFreeze();
    const decision = scheduleNodes({
      planName: name,
      planUid: plan.uid,
      hash,
      planLabel: planNodeLabel(options.keyPrefix, name),
      concurrency: spec.concurrency,
      nodeSelector: spec.nodeSelector,
      exclusive: spec.exclusive,
      nodes: port.listNodes(),
      applying: stillApplying,
      finished: nodes.filter((r) => r.hash === hash && (r.phase === "Succeeded" || r.phase === "Failed")).map((r) => r.name),
      stopped: failed !== undefined || status.gateFailedHash === hash,
      busyElsewhere: others.flatMap((other) => other.status.applying),
      otherExclusiveApplying: others.some((other) => other.status.applying.length > 0 && isExclusive(other)),
      windowOpen,
      gateOpen: gated.open,
      frozen: freeze.frozen,
    });
    // The gate only fails a plan that has nodes left to do; once failed, it stays so for this hash.
    const gateFailed = (decision.waiting === "health-gate" && gated.expired) || status.gateFailedHash === hash;
    const { gateFailedHash: _previousGateFailure, ...withoutGateFailure } = status;
    status = gateFailed ? { ...status, gateFailedHash: hash } : withoutGateFailure;
    const claims: NodeResult[] = decision.start.map((node) => ({
      name: node,
      hash,
      phase: "Claimed",
      cordonedByPlan: (spec.cordon && port.getNode(node)?.unschedulable === false) || nodes.some((r) => r.name === node && owesUncordon(r)),
      jobName: upgradeJobName(name, node, hash),
      startTime: now.toISOString(),
    }));
    const starting = new Set(decision.start);
    status = { ...status, applying: [...stillApplying, ...decision.start], nodes: [...nodes.filter((r) => !starting.has(r.name)), ...claims] };

    // Conditions and the one-line message.
    const opening = decision.waiting === "window-closed" ? nextCommonOpening(windows, now) : undefined;
    const { nextWindowOpening: _previousOpening, message: _previousMessage, ...rest } = status;
    status = { ...rest, ...(opening === undefined ? {} : { nextWindowOpening: opening.toISOString() }) };
    if (failed !== undefined || gateFailed) {
      const reason = failed !== undefined ? "NodeFailed" : "HealthGateTimeout";
      const earlier = plan.status.conditions.find((c) => c.type === "Failed" && c.status === "True" && c.reason === "HealthGateTimeout");
      const message =
        failed?.message ??
        (gated.why === undefined && earlier !== undefined ? earlier.message : `the health gate stayed closed for ${Math.round(healthGateTimeoutMs / 1000)} s: ${gated.why}`);
      if (gateFailed && plan.status.conditions.find((c) => c.type === "Failed")?.status !== "True") port.recordEvent(name, "Warning", reason, message);
      status = condition({ ...status, message }, { type: "Failed", status: "True", reason, message });
    } else {
      status = condition(status, { type: "Failed", status: "False", reason: "NoFailure", message: "" });
    }
    if (decision.complete) {
      status = condition(status, { type: "Complete", status: "True", reason: "Complete", message: `every selected node carries hash ${hash.slice(0, 12)}` });
    } else {
      const waiting = describeWait(decision.waiting, opening, gated.why, freeze.reason);
      status = condition(status, {
        type: "Complete",
        status: "False",
        reason: failed !== undefined || gateFailed ? "Stopped" : status.applying.length > 0 ? "Applying" : waitReasonName(decision.waiting),
        message: `${status.applying.length} applying, ${decision.pending.length - decision.start.length} pending${waiting === "" ? "" : `; ${waiting}`}`,
      });
      if (status.message === undefined && waiting !== "") status = { ...status, message: waiting };
    }
    const written = await write(plan, status, { cordon: spec.cordon, drain: spec.drain !== undefined });
    if (!written) return { requeueAfterMs: 0 };
    tell(plan, status, version, hash, claims);
    if (intentRecorded && claims.length === 0) return { requeueAfterMs: 0 };
    if (claims.length > 0) {
      for (const claim of claims) port.recordEvent(name, "Normal", "NodeClaimed", `${claim.name} selected (hash ${hash.slice(0, 12)})`);
      return { requeueAfterMs: 0 }; // claimed: now act on them.
    }
    if (status.applying.length > 0 || decision.waiting === "health-gate") return { requeueAfterMs: activeRequeueMs };
    if (opening !== undefined) return { requeueAfterMs: Math.max(1_000, opening.getTime() - now.getTime()) };
    if (spec.version === "") return { requeueAfterMs: channelIntervalMs };
    return {};
  }

  /** Notifies what this written pass began: the first claim of a hash, the Failed condition turning True. */
  function tell(plan: PlanRecord, status: NodePlanStatus, version: string, hash: string, claims: readonly NodeResult[]): void {
    if (deps.notify === undefined) return;
    // The hash is part of the finding: a changed spec applying the same version is told again.
    if (claims.length > 0 && !plan.status.nodes.some((r) => r.hash === hash)) {
      const applied = `${version} (hash ${hash.slice(0, 12)})`;
      deps.notify.nodePlanStarted({ nodePlan: plan.name, version, hash, reason: `applying ${applied}; first nodes: ${claims.map((c) => c.name).join(", ")}` });
    }
    const failed = findCondition(status, "Failed");
    if (failed?.status === "True" && findCondition(plan.status, "Failed")?.status !== "True") {
      deps.notify.nodePlanFailed({ nodePlan: plan.name, version, hash, reason: failed.message });
    }
  }

  async function invalid(plan: PlanRecord, status: NodePlanStatus, reason: string, message: string): Promise<ReconcileResult> {
    if (plan.status.conditions.find((c) => c.type === "Validated")?.message !== message) port.recordEvent(plan.name, "Warning", reason, message);
    const next = condition({ ...status, message }, { type: "Validated", status: "False", reason, message });
    const written = await write(plan, next);
    return written ? {} : { requeueAfterMs: 0 };
  }

  function isExclusive(plan: PlanRecord): boolean {
    const parsed = parseNodePlan(plan.name, plan.spec);
    return parsed.valid && parsed.spec.exclusive;
  }

  return {
    reconcile,
    async sweepJobs() {
      const now = clock.now().getTime();
      for (const plan of port.listPlans()) {
        for (const jobName of port.listJobs(plan.name)) {
          const job = port.getJob(jobName);
          if (job?.state !== "succeeded" || job.finishTime === undefined) continue;
          if (now - Date.parse(job.finishTime) >= succeededJobTtlMs) await port.deleteJob(jobName);
        }
      }
    },
  };
}

function waitReasonName(reason: WaitReason | undefined): string {
  switch (reason) {
    case "window-closed":
      return "WindowClosed";
    case "exclusive":
      return "WaitingForExclusivePlan";
    case "health-gate":
      return "HealthGate";
    case "concurrency":
      return "Applying";
    case "stopped":
      return "Stopped";
    case "frozen":
      return "Frozen";
    default:
      return "Pending";
  }
}

function describeWait(reason: WaitReason | undefined, opening: Date | undefined, gateWhy: string | undefined, freezeReason: string): string {
  switch (reason) {
    case "frozen":
      return `held by the freeze${freezeReason === "" ? "" : ` (${freezeReason})`}: no node starts until unfrozen`;
    case "window-closed":
      return `outside the window${opening === undefined ? "" : `, opens ${opening.toISOString()}`}`;
    case "exclusive":
      return "waiting for another exclusive plan to finish";
    case "health-gate":
      return `health gate closed: ${gateWhy ?? "waiting"}`;
    default:
      return "";
  }
}
