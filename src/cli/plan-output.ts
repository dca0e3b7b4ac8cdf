import type { NodePlan } from "../../gen/updatemanager/v1/node_plan_pb.js";
import type { PreviewNodePlanResponse, WatchNodePlanResponse } from "../../gen/updatemanager/v1/node_plan_service_pb.js";

/** What the `plans` commands print; each renderer shows it in its style (lines, or JSON objects). */
export type PlanOutput =
  | { readonly kind: "list"; readonly plans: readonly NodePlan[]; readonly disabled: boolean }
  | { readonly kind: "plan"; readonly plan: NodePlan }
  | { readonly kind: "preview"; readonly name: string; readonly preview: PreviewNodePlanResponse }
  | { readonly kind: "message"; readonly message: WatchNodePlanResponse };
