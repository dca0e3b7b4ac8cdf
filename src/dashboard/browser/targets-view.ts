import type { DomElement } from "./dom-api.js";
import { RolloutState, type Target } from "../../../gen/updatemanager/v1/workload_pb.js";
import { h, table } from "./dom.js";
import { roleText, rolloutStateText, rolloutText, workloadText } from "./format.js";
import { updateHref } from "./route.js";
import { badge } from "./state-badge.js";
import type { ClassifierGroup } from "./targets-by-classifier.js";

function rolloutCell(target: Target): DomElement {
  const rollout = target.rollout;
  const state = rollout?.state ?? RolloutState.UNSPECIFIED;
  const tone = state === RolloutState.COMPLETE ? "ok" : state === RolloutState.FAILED ? "bad" : "busy";
  if (state === RolloutState.NOT_APPLICABLE) return h("span", {}, "no rollout");
  return h("span", {}, badge(rolloutStateText(state), tone), " ", rolloutText(rollout));
}

function targetRow(target: Target) {
  return {
    attributes: { "data-workload": target.workload?.name },
    cells: [
      h(
        "div",
        {},
        workloadText(target.workload),
        target.warnings.length > 0 && h("ul", { class: "warnings" }, ...target.warnings.map((w) => h("li", {}, w))),
      ),
      roleText(target.role) + (target.migrationOrder > 0 ? ` (order ${target.migrationOrder})` : ""),
      h(
        "ul",
        { class: "mono" },
        ...target.containers.map((c) => h("li", {}, `${c.name}${c.init ? " (init)" : ""}: ${c.image}`)),
      ),
      rolloutCell(target),
      target.busyUpdateId === "" ? "free" : h("a", { href: updateHref(target.busyUpdateId) }, "busy: watch update"),
    ],
  };
}

/** One table per classifier. */
export function renderTargets(groups: readonly ClassifierGroup[], filter: string): DomElement {
  if (groups.length === 0) {
    return h("p", {}, filter.trim() === "" ? "No workload opted in." : `No classifier contains “${filter.trim()}”.`);
  }
  return h(
    "div",
    {},
    ...groups.map((group) =>
      table(
        `${group.classifier} (${group.targets.length})`,
        ["Object", "Role", "Containers", "Rollout", "Update"],
        group.targets.map(targetRow),
        { "data-classifier": group.classifier },
      ),
    ),
  );
}
