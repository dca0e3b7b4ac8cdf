import { create, enumToJson, toJson } from "@bufbuild/protobuf";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { UpdateResponseSchema, WatchUpdateResponseSchema } from "../../gen/updatemanager/v1/update_service_pb.js";
import { UpdateSchema, UpdateStateSchema } from "../../gen/updatemanager/v1/update_pb.js";
import { TargetSchema } from "../../gen/updatemanager/v1/workload_pb.js";
import { NodePlanSchema } from "../../gen/updatemanager/v1/node_plan_pb.js";
import { PreviewNodePlanResponseSchema, WatchNodePlanResponseSchema } from "../../gen/updatemanager/v1/node_plan_service_pb.js";
import type { OutputStream, Renderer } from "./renderer.js";

/**
 * One JSON object per line on stdout, for scripts. Messages from the server are in the protobuf JSON mapping
 * (`toJson`): `{"update": …}` for the answer of Update, `{"event": …}` and `{"heartbeat": …}` for WatchUpdate,
 * `{"target": …}` and `{"update": …}` for the lists; `{"plan": …}`, `{"preview": …}` and WatchNodePlan's
 * `{"event": …}`/`{"heartbeat": …}` for the `plans` commands. Then `{"reconnecting": …}` when a watch resumes, and always
 * one last `{"result": {"exitCode": …, …}}`.
 */
export function createJsonRenderer(stdout: OutputStream): Renderer {
  const emit = (value: unknown) => stdout.write(`${JSON.stringify(value)}\n`);
  return {
    accepted(update) {
      emit(toJson(UpdateResponseSchema, create(UpdateResponseSchema, { update })));
    },
    message(message) {
      emit(toJson(WatchUpdateResponseSchema, message));
    },
    reconnecting(reconnect) {
      emit({
        reconnecting: {
          code: codeToString(reconnect.cause.code),
          message: reconnect.cause.rawMessage,
          delayMs: reconnect.delayMs,
          afterSequence: reconnect.afterSequence.toString(),
        },
      });
    },
    targets(targets) {
      for (const target of targets) emit({ target: toJson(TargetSchema, target) });
    },
    updates(updates) {
      for (const update of updates) emit({ update: toJson(UpdateSchema, update) });
    },
    plans(output) {
      switch (output.kind) {
        case "list":
          if (output.disabled) emit({ plansDisabled: true });
          for (const plan of output.plans) emit({ plan: toJson(NodePlanSchema, plan) });
          break;
        case "plan":
          emit({ plan: toJson(NodePlanSchema, output.plan) });
          break;
        case "preview":
          emit({ preview: { plan: output.name, ...(toJson(PreviewNodePlanResponseSchema, output.preview) as object) } });
          break;
        case "message":
          emit(toJson(WatchNodePlanResponseSchema, output.message));
          break;
      }
    },
    result(result) {
      emit({
        result: {
          exitCode: result.exitCode,
          message: result.message,
          ...(result.updateId === undefined ? {} : { updateId: result.updateId }),
          ...(result.state === undefined ? {} : { state: enumToJson(UpdateStateSchema, result.state) }),
          ...(result.planState === undefined ? {} : { planState: result.planState }),
          ...(result.waitTimedOut === true ? { waitTimedOut: true } : {}),
          ...(result.error === undefined ? {} : { error: result.error }),
        },
      });
    },
  };
}
