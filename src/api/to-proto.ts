import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Duration, DurationSchema, type Timestamp, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { QuarantineRecord } from "../core/domain/quarantine.js";
import type { FreezeState } from "../core/domain/freeze.js";
import { GateKind } from "../../gen/updatemanager/v1/gate_pb.js";
import type { GateKind as DomainGateKind } from "../core/domain/gate-wait.js";
import { type FreezeStatus, FreezeStatusSchema } from "../../gen/updatemanager/v1/approval_pb.js";
import type { AvailableUpdate as AvailableUpdateRecord } from "../core/domain/available-update.js";
import {
  type AvailableUpdate,
  AvailableUpdateSchema,
  AvailabilityStatus,
} from "../../gen/updatemanager/v1/available_update_pb.js";
import type { RolloutVerdict, RolloutVerdictState } from "../core/domain/rollout-verdict.js";
import type { TargetView } from "../core/domain/target-view.js";
import type { UpdateEvent as DomainUpdateEvent } from "../core/domain/update-event.js";
import type * as domain from "../core/domain/update.js";
import type { WorkloadKind as DomainWorkloadKind, WorkloadRef as DomainWorkloadRef } from "../core/domain/workload.js";
import { type UpdateEvent, UpdateEventSchema } from "../../gen/updatemanager/v1/event_pb.js";
import { type Quarantine, QuarantineSchema } from "../../gen/updatemanager/v1/quarantine_pb.js";
import {
  type ContainerChange,
  type ContainerChangeSchema,
  MigrationPhase,
  type Update,
  UpdatePhase,
  type UpdatePlan,
  type UpdatePlanSchema,
  UpdateSchema,
  UpdateState,
  WorkloadPhase,
} from "../../gen/updatemanager/v1/update_pb.js";
import {
  RolloutState,
  type RolloutStatus,
  type RolloutStatusSchema,
  type Target,
  TargetRole,
  TargetSchema,
  WorkloadKind,
  type WorkloadRef,
  type WorkloadRefSchema,
} from "../../gen/updatemanager/v1/workload_pb.js";

/*
 * Domain -> wire. The only file (with from-proto.ts) that knows both shapes; the core never
 * sees generated types.
 */

const kinds: Record<DomainWorkloadKind, WorkloadKind> = {
  Deployment: WorkloadKind.DEPLOYMENT,
  StatefulSet: WorkloadKind.STATEFUL_SET,
  DaemonSet: WorkloadKind.DAEMON_SET,
  CronJob: WorkloadKind.CRON_JOB,
  Job: WorkloadKind.JOB,
};

export const updateStates: Record<domain.UpdateState, UpdateState> = {
  planned: UpdateState.PLANNED,
  queued: UpdateState.QUEUED,
  "waiting-for-approval": UpdateState.WAITING_FOR_APPROVAL,
  "waiting-for-gate": UpdateState.WAITING_FOR_GATE,
  pending: UpdateState.PENDING,
  running: UpdateState.RUNNING,
  "rolling-back": UpdateState.ROLLING_BACK,
  succeeded: UpdateState.SUCCEEDED,
  failed: UpdateState.FAILED,
  "rolled-back": UpdateState.ROLLED_BACK,
  "rollback-failed": UpdateState.ROLLBACK_FAILED,
  cancelled: UpdateState.CANCELLED,
};

const gateKinds: Record<DomainGateKind, GateKind> = {
  window: GateKind.WINDOW,
  alerts: GateKind.ALERTS,
};

const phases: Record<domain.UpdatePhase, UpdatePhase> = {
  planning: UpdatePhase.PLANNING,
  migrating: UpdatePhase.MIGRATING,
  "rolling-out": UpdatePhase.ROLLING_OUT,
  "rolling-back": UpdatePhase.ROLLING_BACK,
  finished: UpdatePhase.FINISHED,
};

const workloadPhases: Record<domain.WorkloadPhase, WorkloadPhase> = {
  pending: WorkloadPhase.PENDING,
  unchanged: WorkloadPhase.UNCHANGED,
  "rolling-out": WorkloadPhase.ROLLING_OUT,
  healthy: WorkloadPhase.HEALTHY,
  failed: WorkloadPhase.FAILED,
  conflict: WorkloadPhase.CONFLICT,
  "rolled-back": WorkloadPhase.ROLLED_BACK,
  "rollback-failed": WorkloadPhase.ROLLBACK_FAILED,
};

const migrationPhases: Record<domain.MigrationPhase, MigrationPhase> = {
  pending: MigrationPhase.PENDING,
  running: MigrationPhase.RUNNING,
  succeeded: MigrationPhase.SUCCEEDED,
  failed: MigrationPhase.FAILED,
};

const rolloutStates: Record<RolloutVerdictState, RolloutState> = {
  complete: RolloutState.COMPLETE,
  progressing: RolloutState.PROGRESSING,
  failed: RolloutState.FAILED,
  paused: RolloutState.PAUSED,
  "not-gateable": RolloutState.NOT_GATEABLE,
  "not-applicable": RolloutState.NOT_APPLICABLE,
};

export function kindToProto(kind: DomainWorkloadKind): WorkloadKind {
  return kinds[kind];
}

export function workloadRefToProto(ref: DomainWorkloadRef): MessageInitShape<typeof WorkloadRefSchema> {
  return { kind: kinds[ref.kind], namespace: ref.namespace, name: ref.name };
}

export function rolloutToProto(verdict: RolloutVerdict): MessageInitShape<typeof RolloutStatusSchema> {
  return {
    state: rolloutStates[verdict.state],
    desiredReplicas: verdict.desired,
    updatedReplicas: verdict.updated,
    readyReplicas: verdict.ready,
    availableReplicas: verdict.available,
    message: verdict.message,
  };
}

function changeToProto(change: domain.ContainerChange): MessageInitShape<typeof ContainerChangeSchema> {
  return {
    name: change.name,
    init: change.init,
    currentImage: change.currentImage,
    newImage: change.newImage,
    unchanged: change.unchanged,
  };
}

export function planToProto(plan: domain.UpdatePlan): MessageInitShape<typeof UpdatePlanSchema> {
  return {
    migrations: plan.migrations.map((m) => ({
      template: workloadRefToProto(m.template),
      jobName: m.jobName,
      containers: m.containers.map(changeToProto),
      order: m.order,
    })),
    workloads: plan.workloads.map((w) => ({
      workload: workloadRefToProto(w.workload),
      containers: w.containers.map(changeToProto),
      unchanged: w.unchanged,
      warnings: [...w.warnings],
    })),
    warnings: [...plan.warnings],
  };
}

function timestamp(date: Date | undefined): Timestamp | undefined {
  return date === undefined ? undefined : timestampFromDate(date);
}

export function durationFromMs(ms: number): Duration {
  return create(DurationSchema, { seconds: BigInt(Math.floor(ms / 1000)), nanos: Math.round(ms % 1000) * 1_000_000 });
}

export function updateToProto(record: domain.UpdateRecord): Update {
  return create(UpdateSchema, {
    id: record.id,
    state: updateStates[record.state],
    phase: phases[record.phase],
    image: record.image,
    classifier: record.classifier,
    requester: record.requester,
    plan: planToProto(record.plan),
    createTime: timestamp(record.createTime),
    queueTime: timestamp(record.queuedTime),
    startTime: timestamp(record.startTime),
    finishTime: timestamp(record.finishTime),
    reason: record.reason,
    updateTimeout: durationFromMs(record.updateTimeoutMs),
    idempotencyKey: record.idempotencyKey ?? "",
    cancelRequested: record.cancelRequested,
    overrideQuarantine: record.overrideQuarantine,
    migrations: record.migrations.map((m) => ({
      template: workloadRefToProto(m.template),
      jobName: m.jobName,
      phase: migrationPhases[m.phase],
      message: m.message,
    })),
    workloads: record.workloads.map((w) => ({
      workload: workloadRefToProto(w.workload),
      phase: workloadPhases[w.phase],
      containers: w.containers.map(changeToProto),
      rollout: w.rollout === undefined ? undefined : rolloutToProto(w.rollout),
      message: w.message,
    })),
    lastSequence: BigInt(record.lastSequence),
    requiredApprovals: record.approval?.required ?? 0,
    approvers: record.approval?.approvals.map((decision) => decision.principal) ?? [],
    approvalDeadline: timestamp(record.approval?.deadline),
    approvalPolicy: record.approval?.policy ?? "",
    rejectedBy: record.approval?.rejection?.principal ?? "",
    ...(record.gateWait === undefined
      ? {}
      : {
          gateWait: {
            gate: gateKinds[record.gateWait.gate],
            policy: record.gateWait.policy,
            reason: record.gateWait.reason,
            since: timestampFromDate(record.gateWait.since),
            ...(record.gateWait.notBefore === undefined ? {} : { notBefore: timestampFromDate(record.gateWait.notBefore) }),
          },
        }),
    traceId: record.trace?.traceId ?? "",
  });
}

export function freezeToProto(state: FreezeState): FreezeStatus {
  return create(FreezeStatusSchema, {
    frozen: state.frozen,
    reason: state.reason,
    principal: state.principal,
    time: timestamp(state.time),
  });
}

export function eventToProto(event: DomainUpdateEvent): UpdateEvent {
  return create(UpdateEventSchema, {
    sequence: BigInt(event.sequence),
    time: timestampFromDate(event.time),
    updateId: event.updateId,
    kind: eventKind(event),
  });
}

type EventKind = MessageInitShape<typeof UpdateEventSchema>["kind"];

function eventKind(event: DomainUpdateEvent): EventKind {
  switch (event.type) {
    case "planned":
      return { case: "planned", value: { plan: planToProto(event.plan) } };
    case "migration-started":
      return {
        case: "migrationStarted",
        value: { template: workloadRefToProto(event.template), jobName: event.jobName },
      };
    case "migration-succeeded":
      return {
        case: "migrationSucceeded",
        value: { template: workloadRefToProto(event.template), jobName: event.jobName },
      };
    case "migration-failed":
      return {
        case: "migrationFailed",
        value: { template: workloadRefToProto(event.template), jobName: event.jobName, reason: event.reason },
      };
    case "workload-patched":
      return {
        case: "workloadPatched",
        value: { workload: workloadRefToProto(event.workload), containers: event.containers.map(changeToProto) },
      };
    case "workload-progress":
      return {
        case: "workloadProgress",
        value: { workload: workloadRefToProto(event.workload), rollout: rolloutToProto(event.rollout) },
      };
    case "workload-healthy":
      return { case: "workloadHealthy", value: { workload: workloadRefToProto(event.workload) } };
    case "workload-failed":
      return { case: "workloadFailed", value: { workload: workloadRefToProto(event.workload), reason: event.reason } };
    case "workload-conflict":
      return {
        case: "workloadConflict",
        value: {
          workload: workloadRefToProto(event.workload),
          container: event.container,
          expectedImage: event.expectedImage,
          actualImage: event.actualImage,
        },
      };
    case "rollback-started":
      return {
        case: "rollbackStarted",
        value: {
          reason: event.reason,
          workloads: event.workloads.map(workloadRefToProto),
          migrationsNotUndone: event.migrationsNotUndone.map(workloadRefToProto),
        },
      };
    case "workload-rolled-back":
      return {
        case: "workloadRolledBack",
        value: { workload: workloadRefToProto(event.workload), containers: event.containers.map(changeToProto) },
      };
    case "workload-rollback-failed":
      return {
        case: "workloadRollbackFailed",
        value: { workload: workloadRefToProto(event.workload), reason: event.reason },
      };
    case "rollback-finished":
      return {
        case: "rollbackFinished",
        value: { success: event.success, remaining: event.remaining.map(workloadRefToProto) },
      };
    case "queued":
      return { case: "queued", value: { behindUpdateIds: [...event.behind] } };
    case "cancel-requested":
      return { case: "cancelRequested", value: { reason: event.reason, requester: event.requester } };
    case "finished":
      return { case: "finished", value: { state: updateStates[event.state], reason: event.reason } };
    case "approval-required":
      return {
        case: "approvalRequired",
        value: { requiredApprovals: event.required, deadline: timestampFromDate(event.deadline), policy: event.policy },
      };
    case "approval-granted":
      return {
        case: "approvalGranted",
        value: { approver: event.approver, approvals: event.approvals, requiredApprovals: event.required },
      };
    case "approval-rejected":
      return { case: "approvalRejected", value: { approver: event.approver, reason: event.reason } };
    case "held":
      return { case: "held", value: { reason: event.reason } };
    case "gate-closed":
      return {
        case: "gateClosed",
        value: {
          gate: gateKinds[event.gate],
          policy: event.policy,
          reason: event.reason,
          ...(event.notBefore === undefined ? {} : { notBefore: timestampFromDate(event.notBefore) }),
        },
      };
    case "gate-opened":
      return { case: "gateOpened", value: { gate: gateKinds[event.gate], policy: event.policy, waitedMs: BigInt(Math.max(0, Math.round(event.waitedMs))) } };
  }
}

const availabilityStatuses: Record<AvailableUpdateRecord["status"], AvailabilityStatus> = {
  applying: AvailabilityStatus.APPLYING,
  notify: AvailabilityStatus.NOTIFY,
  "beyond-policy": AvailabilityStatus.BEYOND_POLICY,
  soaking: AvailabilityStatus.SOAKING,
  quarantined: AvailabilityStatus.QUARANTINED,
  "failed-before": AvailabilityStatus.FAILED_BEFORE,
  busy: AvailabilityStatus.BUSY,
  refused: AvailabilityStatus.REFUSED,
};

/** a newer version the registry watcher found. */
export function availableUpdateToProto(update: AvailableUpdateRecord): AvailableUpdate {
  return create(AvailableUpdateSchema, {
    workload: workloadRefToProto(update.workload),
    classifier: update.classifier,
    container: update.container,
    currentImage: update.currentImage,
    availableImage: update.availableImage,
    policy: update.policy,
    mode: update.mode,
    status: availabilityStatuses[update.status],
    message: update.message,
    ...(update.firstSeen === undefined ? {} : { firstSeenTime: timestampFromDate(update.firstSeen) }),
    ...(update.soakingUntil === undefined ? {} : { soakingUntilTime: timestampFromDate(update.soakingUntil) }),
    updateId: update.updateId ?? "",
    checkTime: timestampFromDate(update.checkTime),
  });
}

export function quarantineToProto(record: QuarantineRecord): Quarantine {
  return create(QuarantineSchema, {
    workload: workloadRefToProto(record.workload),
    image: record.image,
    digest: record.digest ?? "",
    updateId: record.updateId,
    reason: record.reason,
    createTime: timestampFromDate(record.createTime),
  });
}

export function targetToProto(target: TargetView): Target {
  return create(TargetSchema, {
    workload: workloadRefToProto(target.workload),
    role: target.role === "migration" ? TargetRole.MIGRATION : TargetRole.WORKLOAD,
    classifier: target.classifier,
    containers: target.containers.map((c) => ({ name: c.name, image: c.image, init: c.init })),
    rollout: rolloutToProto(target.rollout),
    warnings: [...target.warnings],
    busyUpdateId: target.busyUpdateId ?? "",
    migrationOrder: target.migrationOrder ?? 0,
  });
}

export type { ContainerChange, RolloutStatus, UpdatePlan, WorkloadRef };
