/**
 * Update Manager's TypeScript client: the generated service and messages (also importable one by one from
 * `@update-manager/client/gen/...`), a client factory, and `updateAndWait` with the CLI's exit codes.
 */
export { type CreateUpdateClientOptions, createUpdateClient, type UpdateClient } from "./create-update-client.js";
export { ExitCode, exitCodeForError, exitCodeForState } from "./exit-codes.js";
export { type UpdateAndWaitOptions, type UpdateOutcome, updateAndWait } from "./update-and-wait.js";
export type { UpdateEvent } from "./gen/updatemanager/v1/event_pb.js";
export { UpdateState } from "./gen/updatemanager/v1/update_pb.js";
export { UpdateService } from "./gen/updatemanager/v1/update_service_pb.js";
export { NodePlanService } from "./gen/updatemanager/v1/node_plan_service_pb.js";
export { type NodePlan, type NodePlanEvent, NodePlanEventType, NodePlanState } from "./gen/updatemanager/v1/node_plan_pb.js";
