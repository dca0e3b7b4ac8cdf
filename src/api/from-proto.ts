import type { Duration } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "../core/domain/domain-error.js";
import type * as domain from "../core/domain/update.js";
import type { WorkloadKind as DomainWorkloadKind, WorkloadRef as DomainWorkloadRef } from "../core/domain/workload.js";
import type { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { WorkloadKind, type WorkloadRef } from "../../gen/updatemanager/v1/workload_pb.js";
import { updateStates } from "./to-proto.js";

/* Wire -> domain, for the few request fields that are not plain strings and numbers. */

const kinds = new Map<WorkloadKind, DomainWorkloadKind>([
  [WorkloadKind.DEPLOYMENT, "Deployment"],
  [WorkloadKind.STATEFUL_SET, "StatefulSet"],
  [WorkloadKind.DAEMON_SET, "DaemonSet"],
  [WorkloadKind.CRON_JOB, "CronJob"],
  [WorkloadKind.JOB, "Job"],
]);

const states = new Map<UpdateState, domain.UpdateState>(
  Object.entries(updateStates).map(([name, value]) => [value, name as domain.UpdateState]),
);

/** A protobuf Duration as milliseconds; undefined when unset. */
export function durationToMs(duration: Duration | undefined, field: string): number | undefined {
  if (duration === undefined) return undefined;
  const { seconds, nanos } = duration;
  if (seconds < 0n || nanos < 0 || nanos > 999_999_999) throw invalidArgument(field, `${field} must be a positive duration`);
  if (seconds > 10n ** 9n) throw invalidArgument(field, `${field} is too long`);
  // Rounded up, so a positive duration under a millisecond stays positive.
  return Number(seconds) * 1000 + Math.ceil(nanos / 1_000_000);
}

export function workloadRefFromProto(ref: WorkloadRef, field: string): DomainWorkloadRef {
  const kind = kinds.get(ref.kind);
  if (kind === undefined) throw invalidArgument(`${field}.kind`, `${field}.kind must be set`);
  if (ref.namespace === "") throw invalidArgument(`${field}.namespace`, `${field}.namespace must be set`);
  if (ref.name === "") throw invalidArgument(`${field}.name`, `${field}.name must be set`);
  return { kind, namespace: ref.namespace, name: ref.name };
}

export function updateStateFromProto(state: UpdateState, field: string): domain.UpdateState {
  const value = states.get(state);
  if (value === undefined) throw invalidArgument(field, `${field} holds an unknown state (${state})`);
  if (value === "planned") throw invalidArgument(field, `${field}: PLANNED is never recorded (dry runs are not stored)`);
  return value;
}
