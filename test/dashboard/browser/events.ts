import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type UpdateEvent, UpdateEventSchema } from "../../../gen/updatemanager/v1/event_pb.js";
import { type WatchUpdateResponse, WatchUpdateResponseSchema } from "../../../gen/updatemanager/v1/update_service_pb.js";
import { WorkloadKind, type WorkloadRef, WorkloadRefSchema } from "../../../gen/updatemanager/v1/workload_pb.js";

// Builders for the dashboard's tests: events and stream messages as the server sends them.

export const deployment = (name: string, namespace = "shop"): WorkloadRef =>
  create(WorkloadRefSchema, { kind: WorkloadKind.DEPLOYMENT, namespace, name });

export const job = (name: string, namespace = "shop"): WorkloadRef =>
  create(WorkloadRefSchema, { kind: WorkloadKind.JOB, namespace, name });

/** Event number `sequence` of update "u1". */
export function event(sequence: number, kind: MessageInitShape<typeof UpdateEventSchema>["kind"]): UpdateEvent {
  return create(UpdateEventSchema, { sequence: BigInt(sequence), updateId: "u1", kind });
}

export function eventMessage(sequence: number, kind: MessageInitShape<typeof UpdateEventSchema>["kind"]): WatchUpdateResponse {
  return create(WatchUpdateResponseSchema, { message: { case: "event", value: event(sequence, kind) } });
}

export function heartbeatMessage(lastSequence: number): WatchUpdateResponse {
  return create(WatchUpdateResponseSchema, { message: { case: "heartbeat", value: { lastSequence: BigInt(lastSequence) } } });
}
