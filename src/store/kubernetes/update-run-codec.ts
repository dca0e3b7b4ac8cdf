import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import type { GateKind, GateWait } from "../../core/domain/gate-wait.js";
import type { UpdateEvent } from "../../core/domain/update-event.js";
import type { MigrationStatus, UpdatePlan, UpdateRecord, UpdateState, WorkloadStatus } from "../../core/domain/update.js";
import { isTerminal } from "../../core/domain/update.js";
import type { UpdateTrace } from "../../core/domain/update-trace.js";
import { workloadKey } from "../../core/domain/workload.js";

export const updateRunGroup = "updatemanager.io";
export const updateRunVersion = "v1alpha1";
export const updateRunApiVersion = `${updateRunGroup}/${updateRunVersion}`;
/** Label carrying the update id (or its hash when the id is not a valid label value): lookups by id. */
export const updateIdLabel = `${updateRunGroup}/update-id`;

/**
 * Annotation naming the replica (pod) that accepted the update and created its run: it writes the run's first status
 * right after answering, and a run without one is left to it while it may still be doing so.
 */
export const acceptedByAnnotation = `${updateRunGroup}/accepted-by`;

/** The collection path of UpdateRuns in one namespace. */
export function updateRunsPath(namespace: string): string {
  return `/apis/${updateRunGroup}/${updateRunVersion}/namespaces/${encodeURIComponent(namespace)}/updateruns`;
}

export interface UpdateRunSpec {
  id: string;
  image: string;
  classifier: string;
  requester: string;
  idempotencyKey?: string;
  requestHash?: string;
  createTime: string;
  /** Set for an update accepted into a queue: a run whose status is not written yet is queued, not pending. */
  queuedTime?: string;
  updateTimeoutMs: number;
  overrideQuarantine: boolean;
  /** Set for an update an approval policy applied to: a run whose status is not written yet waits for approval. */
  approval?: { required: number; deadline: string; policy: string };
  /** Set for an update accepted waiting for a gate: a run whose status is not written yet waits for it, never pending. */
  gateWait?: StoredGateWait;
  targetCount: number;
  /** gzip+base64 JSON of the UpdatePlan. */
  plan: string;
  /** The update's trace and accept span (the parent of its attempts' spans); absent on runs older than tracing. */
  trace?: { traceId: string; spanId: string; sampled: boolean };
  /**
   * gzip+base64 JSON of what the update was accepted with (StoredAcceptance: its state and first events), so that
   * creating the run alone makes them durable: a run whose status is not written yet reads as this. Absent on runs of
   * versions that wrote them only with the first status.
   */
  accepted?: string;
}

/** A wait for a gate (a window, the alert gate) as the run stores it. */
export interface StoredGateWait {
  gate: GateKind;
  policy: string;
  reason: string;
  since: string;
  notBefore?: string;
}

export interface UpdateRunTarget {
  target: string;
  phase: string;
  patched: boolean;
  images: { container: string; previous: string; new: string }[];
}

export interface UpdateRunCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface UpdateRunStatus {
  phase?: string;
  step?: string;
  reason?: string;
  startTime?: string;
  finishTime?: string;
  cancelRequested?: boolean;
  /** The decisions on an update that needs approval (spec.approval says how many it needs, until when). */
  approval?: {
    approvals: { principal: string; time: string }[];
    rejection?: { principal: string; time: string; reason?: string };
  };
  /** The latest wait for a gate (state WaitingForGate now, or earlier). */
  gateWait?: StoredGateWait;
  executor?: string;
  /**
   * The resourceVersion the API server gave the run when it was created: its place in the order of runs
   * racing for a target (the earlier holds it). Written with the first status and kept.
   */
  acceptedRevision?: string;
  /** spec.trace with the latest attempt's span and the attempt count (written with the attempt's first save). */
  trace?: UpdateTrace;
  lastSequence?: number;
  summary?: Record<string, number>;
  targets?: UpdateRunTarget[];
  targetsOmitted?: number;
  recentEvents?: { sequence: number; time: string; type: string; message: string }[];
  conditions?: UpdateRunCondition[];
  /** gzip+base64 JSON of { state, migrations, workloads }. */
  progress?: string;
  /** gzip+base64 JSON of the event log. */
  events?: string;
}

export interface UpdateRunObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: UpdateRunSpec;
  status?: UpdateRunStatus;
}

/** How much of a run is kept readable beside the compressed data. */
export interface UpdateRunLimits {
  /** Targets listed in status.targets. */
  readonly readableTargets: number;
  /** Milestone events listed in status.recentEvents. */
  readonly recentEvents: number;
}

export const defaultUpdateRunLimits: UpdateRunLimits = { readableTargets: 50, recentEvents: 10 };

const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The object name of a run. With an idempotency key it derives from (requester, key) only, so a
 * second create of the same key on any replica fails with AlreadyExists at the API server: the
 * server, not a replica's memory, decides which request won.
 */
export function updateRunName(record: Pick<UpdateRecord, "id" | "requester" | "idempotencyKey">): string {
  if (record.idempotencyKey !== undefined) return idempotencyName(record.requester, record.idempotencyKey);
  if (record.id.length <= 63 && dnsSubdomain.test(record.id)) return record.id;
  return `ur-${sha256Hex(`id\0${record.id}`).slice(0, 40)}`;
}

export function idempotencyName(requester: string, key: string): string {
  return `ur-k-${sha256Hex(JSON.stringify([requester, key])).slice(0, 40)}`;
}

/** The value of `updateIdLabel` for an id: the id itself when it is a valid label value. */
export function updateIdLabelValue(id: string): string {
  if (id.length <= 63 && labelValue.test(id)) return id;
  return `h-${sha256Hex(id).slice(0, 40)}`;
}

/**
 * zlib's default level: on a run's few-KB fields level 9 took 2.8x as long (80 against 28 us for 2.8 KB of events)
 * for 1% less, and 2.5x as long for 4% less on a 500-target log. Every status write compresses twice, on the event
 * loop that also answers RPCs. Any level reads back the same.
 */
export function compress(value: unknown): string {
  return gzipSync(Buffer.from(JSON.stringify(value), "utf8")).toString("base64");
}

export function decompress<T>(text: string): T {
  return JSON.parse(gunzipSync(Buffer.from(text, "base64")).toString("utf8")) as T;
}

/** Kubernetes-style phase names for the printer column: `rolled-back` becomes `RolledBack`. */
export function phaseName(state: UpdateState): string {
  return state
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

export function stateFromPhase(phase: string | undefined): UpdateState | undefined {
  if (phase === undefined) return undefined;
  const state = phase.replace(/[A-Z]/g, (letter, index: number) => (index === 0 ? "" : "-") + letter.toLowerCase());
  return state as UpdateState;
}

/**
 * The new object for `create`: spec from the record and, given its first events (numbered from 1), what it was
 * accepted with (spec.accepted). The status is written separately (via /status).
 */
export function toUpdateRunObject(record: UpdateRecord, namespace: string, acceptedEvents?: readonly UpdateEvent[]): UpdateRunObject {
  return {
    apiVersion: updateRunApiVersion,
    kind: "UpdateRun",
    metadata: {
      name: updateRunName(record),
      namespace,
      labels: { [updateIdLabel]: updateIdLabelValue(record.id), "app.kubernetes.io/managed-by": "update-manager" },
    },
    spec: {
      id: record.id,
      image: record.image,
      classifier: record.classifier,
      requester: record.requester,
      ...(record.idempotencyKey === undefined ? {} : { idempotencyKey: record.idempotencyKey }),
      ...(record.requestHash === undefined ? {} : { requestHash: record.requestHash }),
      createTime: record.createTime.toISOString(),
      ...(record.queuedTime === undefined ? {} : { queuedTime: record.queuedTime.toISOString() }),
      updateTimeoutMs: record.updateTimeoutMs,
      overrideQuarantine: record.overrideQuarantine,
      ...(record.approval === undefined
        ? {}
        : {
            approval: {
              required: record.approval.required,
              deadline: record.approval.deadline.toISOString(),
              policy: record.approval.policy,
            },
          }),
      ...(record.gateWait === undefined ? {} : { gateWait: storedGateWait(record.gateWait) }),
      targetCount:
        record.plan.workloads.filter((workload) => !workload.unchanged).length + record.plan.migrations.length,
      plan: compress(record.plan),
      ...(record.trace === undefined
        ? {}
        : { trace: { traceId: record.trace.traceId, spanId: record.trace.spanId, sampled: record.trace.sampled } }),
      ...(acceptedEvents === undefined ? {} : { accepted: compress(acceptanceOf(record, acceptedEvents)) }),
    },
  };
}

/** What spec.accepted holds: the record's state when it was accepted, and its first events. */
interface StoredAcceptance {
  state: UpdateState;
  step: UpdateRecord["phase"];
  reason?: string;
  finishTime?: string;
  events: StoredEvent[];
}

function acceptanceOf(record: UpdateRecord, events: readonly UpdateEvent[]): StoredAcceptance {
  return {
    state: record.state,
    step: record.phase,
    ...(record.reason === "" ? {} : { reason: record.reason }),
    ...(record.finishTime === undefined ? {} : { finishTime: record.finishTime.toISOString() }),
    // Accepted with the plan the spec keeps: a planned event's plan is never stored twice.
    events: toStoredEvents(events, (plan) => JSON.stringify(plan) === JSON.stringify(record.plan)),
  };
}

/** What an event log is stored as: the `planned` event's plan is the spec's, so it is not stored twice. */
type StoredEvent = Omit<UpdateEvent, "time" | "updateId"> & { time: string; plan?: UpdatePlan | "spec" };

interface StoredProgress {
  state: UpdateState;
  migrations: MigrationStatus[];
  workloads: WorkloadStatus[];
  /**
   * The plan made when it left the queue (spec.queuedTime) or the wait for approval (spec.approval); the spec keeps
   * the one made when it was accepted.
   */
  plan?: UpdatePlan;
}

/** The status for a record and its whole event log (which must end at record.lastSequence). */
export function toUpdateRunStatus(
  record: UpdateRecord,
  events: readonly UpdateEvent[],
  executor: string | undefined,
  limits: UpdateRunLimits = defaultUpdateRunLimits,
): UpdateRunStatus {
  const summary: Record<string, number> = {};
  for (const status of record.workloads) summary[status.phase] = (summary[status.phase] ?? 0) + 1;
  const changing = record.workloads.filter((status) => status.phase !== "unchanged");
  const targets = changing.slice(0, limits.readableTargets).map((status) => ({
    target: workloadKey(status.workload),
    phase: status.phase,
    patched: status.patched,
    images: status.containers
      .filter((container) => !container.unchanged)
      .map((container) => ({ container: container.name, previous: container.currentImage, new: container.newImage })),
  }));
  const milestones = events.filter((event) => event.type !== "workload-progress");
  const recentEvents = milestones.slice(-limits.recentEvents).map((event) => ({
    sequence: event.sequence,
    time: event.time.toISOString(),
    type: event.type,
    message: describeEvent(event) || event.type,
  }));
  // Planned again when it leaves a queue or the wait for approval: its plan may differ from the spec's.
  const replanned = record.queuedTime !== undefined || record.approval !== undefined || record.gateWait !== undefined;
  // A queued update is planned again: its first plan (the spec's) and its current one may differ.
  const stored = toStoredEvents(events, (plan) => !replanned && JSON.stringify(plan) === JSON.stringify(record.plan));
  const progress: StoredProgress = {
    state: record.state,
    migrations: record.migrations,
    workloads: record.workloads,
    ...(replanned ? { plan: record.plan } : {}),
  };
  const terminal = isTerminal(record.state);
  return {
    phase: phaseName(record.state),
    step: record.phase,
    // Empty strings are left out: Kubernetes 1.20 refuses "" for a string field of a custom resource.
    ...(record.reason === "" ? {} : { reason: record.reason }),
    ...(record.startTime === undefined ? {} : { startTime: record.startTime.toISOString() }),
    ...(record.finishTime === undefined ? {} : { finishTime: record.finishTime.toISOString() }),
    cancelRequested: record.cancelRequested,
    ...(record.approval === undefined
      ? {}
      : {
          approval: {
            approvals: record.approval.approvals.map((decision) => ({ principal: decision.principal, time: decision.time.toISOString() })),
            ...(record.approval.rejection === undefined
              ? {}
              : {
                  rejection: {
                    principal: record.approval.rejection.principal,
                    time: record.approval.rejection.time.toISOString(),
                    ...(record.approval.rejection.reason === "" ? {} : { reason: record.approval.rejection.reason }),
                  },
                }),
          },
        }),
    ...(record.gateWait === undefined ? {} : { gateWait: storedGateWait(record.gateWait) }),
    ...(executor === undefined ? {} : { executor }),
    ...(record.trace === undefined ? {} : { trace: { ...record.trace } }),
    lastSequence: record.lastSequence,
    summary,
    targets,
    targetsOmitted: Math.max(0, changing.length - targets.length),
    recentEvents,
    conditions: [
      {
        type: "Finished",
        status: terminal ? "True" : "False",
        reason: phaseName(record.state),
        ...(record.reason === "" ? {} : { message: record.reason }),
        lastTransitionTime: (record.finishTime ?? record.startTime ?? record.createTime).toISOString(),
      },
    ],
    progress: compress(progress),
    events: compress(stored),
  };
}

/** The event log as stored: no update id, times as text, and "spec" for a planned event's plan that is the spec's. */
function toStoredEvents(events: readonly UpdateEvent[], isSpecPlan: (plan: UpdatePlan) => boolean): StoredEvent[] {
  return events.map((event) => {
    const { updateId: _updateId, time, ...rest } = event;
    const copy: StoredEvent = { ...(rest as Omit<UpdateEvent, "time" | "updateId">), time: time.toISOString() };
    if (event.type === "planned" && isSpecPlan(event.plan)) copy.plan = "spec";
    return copy;
  });
}

function fromStoredEvents(stored: readonly StoredEvent[], id: string, specPlan: UpdatePlan): UpdateEvent[] {
  return stored.map((event) => {
    const restored = { ...event, time: new Date(event.time), updateId: id } as UpdateEvent & { plan?: unknown };
    if (event.type === "planned" && event.plan === "spec") restored.plan = specPlan;
    // Dates inside events come back as text from JSON.
    if (event.type === "approval-required") (restored as { deadline: unknown }).deadline = new Date(String((event as { deadline?: unknown }).deadline));
    const notBefore = (event as { notBefore?: unknown }).notBefore;
    if (event.type === "gate-closed" && notBefore !== undefined) (restored as { notBefore: unknown }).notBefore = new Date(String(notBefore));
    return restored as UpdateEvent;
  });
}

function storedGateWait(wait: GateWait): StoredGateWait {
  return {
    gate: wait.gate,
    policy: wait.policy,
    reason: wait.reason,
    since: wait.since.toISOString(),
    ...(wait.notBefore === undefined ? {} : { notBefore: wait.notBefore.toISOString() }),
  };
}

function gateWaitFrom(stored: StoredGateWait): GateWait {
  return {
    gate: stored.gate,
    policy: stored.policy,
    reason: stored.reason,
    since: new Date(stored.since),
    ...(stored.notBefore === undefined ? {} : { notBefore: new Date(stored.notBefore) }),
  };
}

/** A run as the core sees it. */
export interface DecodedRun {
  readonly record: UpdateRecord;
  readonly events: readonly UpdateEvent[];
}

/**
 * Reads a run back. A run whose status is not written yet reads as it was accepted (spec.accepted); one of a version
 * that did not record that reads as its spec says (queued, waiting or pending) with no events.
 */
export function fromUpdateRunObject(object: UpdateRunObject): DecodedRun {
  const { spec } = object;
  const status = object.status ?? {};
  const accepted = object.status === undefined && spec.accepted !== undefined ? decompress<StoredAcceptance>(spec.accepted) : undefined;
  const specPlan = decompress<UpdatePlan>(spec.plan);
  const progress = status.progress === undefined ? undefined : decompress<StoredProgress>(status.progress);
  const plan = progress?.plan ?? specPlan;
  const stored = status.events === undefined ? (accepted?.events ?? []) : decompress<StoredEvent[]>(status.events);
  const events = fromStoredEvents(stored, spec.id, specPlan);
  const finishTime = status.finishTime ?? accepted?.finishTime;
  const record: UpdateRecord = {
    id: spec.id,
    // Created, its first status not written yet: as accepted; by an earlier version, queued when it was accepted into
    // a queue, waiting when it needs approval (never pending: a leader resuming it must not run it unapproved).
    state:
      progress?.state ??
      stateFromPhase(status.phase) ??
      accepted?.state ??
      (spec.approval !== undefined
        ? "waiting-for-approval"
        : spec.gateWait !== undefined
          ? "waiting-for-gate"
          : spec.queuedTime === undefined
            ? "pending"
            : "queued"),
    phase: (status.step as UpdateRecord["phase"] | undefined) ?? accepted?.step ?? "planning",
    image: spec.image,
    classifier: spec.classifier,
    requester: spec.requester,
    plan,
    createTime: new Date(spec.createTime),
    ...(spec.queuedTime === undefined ? {} : { queuedTime: new Date(spec.queuedTime) }),
    ...((status.gateWait ?? spec.gateWait) === undefined ? {} : { gateWait: gateWaitFrom((status.gateWait ?? spec.gateWait) as StoredGateWait) }),
    ...(spec.approval === undefined
      ? {}
      : {
          approval: {
            required: spec.approval.required,
            deadline: new Date(spec.approval.deadline),
            policy: spec.approval.policy,
            approvals: (status.approval?.approvals ?? []).map((decision) => ({ principal: decision.principal, time: new Date(decision.time) })),
            ...(status.approval?.rejection === undefined
              ? {}
              : {
                  rejection: {
                    principal: status.approval.rejection.principal,
                    time: new Date(status.approval.rejection.time),
                    reason: status.approval.rejection.reason ?? "",
                  },
                }),
          },
        }),
    ...(status.startTime ? { startTime: new Date(status.startTime) } : {}),
    ...(finishTime ? { finishTime: new Date(finishTime) } : {}),
    reason: status.reason ?? accepted?.reason ?? "",
    updateTimeoutMs: spec.updateTimeoutMs,
    ...(spec.idempotencyKey === undefined ? {} : { idempotencyKey: spec.idempotencyKey }),
    ...(spec.requestHash === undefined ? {} : { requestHash: spec.requestHash }),
    overrideQuarantine: spec.overrideQuarantine,
    cancelRequested: status.cancelRequested ?? false,
    migrations: progress?.migrations ?? initialMigrations(plan),
    workloads: progress?.workloads ?? initialWorkloads(plan),
    lastSequence: events.length,
    ...traceOf(spec, status),
  };
  return { record, events };
}

/** The recorded trace: the status's (with the latest attempt) else the spec's (none started yet). */
function traceOf(spec: UpdateRunSpec, status: UpdateRunStatus): { trace?: UpdateTrace } {
  if (status.trace !== undefined) return { trace: { ...status.trace } };
  if (spec.trace === undefined) return {};
  return { trace: { traceId: spec.trace.traceId, spanId: spec.trace.spanId, sampled: spec.trace.sampled ?? false, attempts: 0 } };
}

function initialMigrations(plan: UpdatePlan): MigrationStatus[] {
  return plan.migrations.map((migration) => ({
    template: migration.template,
    jobName: migration.jobName,
    phase: "pending",
    message: "",
  }));
}

function initialWorkloads(plan: UpdatePlan): WorkloadStatus[] {
  return plan.workloads.map((workload) => ({
    workload: workload.workload,
    phase: workload.unchanged ? "unchanged" : "pending",
    containers: workload.containers.map((container) => ({ ...container })),
    message: "",
    patched: false,
  }));
}

/** One line per milestone event, for `kubectl describe`. */
function describeEvent(event: UpdateEvent): string {
  switch (event.type) {
    case "planned":
      return `planned ${event.plan.workloads.length} workloads and ${event.plan.migrations.length} migrations`;
    case "migration-started":
    case "migration-succeeded":
      return `${workloadKey(event.template)} as Job ${event.jobName}`;
    case "migration-failed":
      return `${workloadKey(event.template)} as Job ${event.jobName}: ${event.reason}`;
    case "workload-patched":
    case "workload-rolled-back":
      return `${workloadKey(event.workload)}: ${event.containers
        .map((container) => `${container.name} ${container.currentImage} -> ${container.newImage}`)
        .join(", ")}`;
    case "workload-progress":
      return `${workloadKey(event.workload)}: ${event.rollout.message}`;
    case "workload-healthy":
      return workloadKey(event.workload);
    case "workload-failed":
    case "workload-rollback-failed":
      return `${workloadKey(event.workload)}: ${event.reason}`;
    case "workload-conflict":
      return `${workloadKey(event.workload)} container ${event.container}: expected ${event.expectedImage}, found ${event.actualImage}`;
    case "rollback-started":
      return `${event.reason} (${event.workloads.length} workloads to restore)`;
    case "rollback-finished":
      return event.success ? "every patched workload restored" : `${event.remaining.length} workloads not restored`;
    case "queued":
      return `behind ${event.behind.join(", ")}`;
    case "cancel-requested":
      return `by ${event.requester || "an unknown caller"}${event.reason ? `: ${event.reason}` : ""}`;
    case "approval-required":
      return `${event.required} approvals by ${event.deadline.toISOString()} (${event.policy})`;
    case "approval-granted":
      return `by ${event.approver} (${event.approvals} of ${event.required})`;
    case "approval-rejected":
      return `by ${event.approver}${event.reason ? `: ${event.reason}` : ""}`;
    case "held":
      return event.reason;
    case "gate-closed":
      return event.reason;
    case "gate-opened":
      return `${event.policy} open after ${Math.round(event.waitedMs / 1000)} s`;
    case "finished":
      return `${phaseName(event.state)}${event.reason ? `: ${event.reason}` : ""}`;
  }
}
