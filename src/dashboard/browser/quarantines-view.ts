import type { DomElement } from "./dom-api.js";
import type { Quarantine } from "../../../gen/updatemanager/v1/quarantine_pb.js";
import { h, table } from "./dom.js";
import { timestampIso, timestampText, workloadText } from "./format.js";
import { updateHref } from "./route.js";

/** Images refused for a workload until cleared (ClearQuarantine, or an update with override_quarantine). */
export function renderQuarantines(quarantines: readonly Quarantine[]): DomElement {
  if (quarantines.length === 0) return h("p", {}, "No image is quarantined.");
  return table(
    "Newest first. Updates of these workloads to these images are refused until the quarantine is cleared.",
    ["Image", "Workload", "Reason", "Since", "Update"],
    quarantines.map((q) => ({
      cells: [
        h("span", { class: "mono" }, q.image, q.digest === "" ? "" : ` (${q.digest})`),
        workloadText(q.workload),
        q.reason,
        h("time", { datetime: timestampIso(q.createTime) }, timestampText(q.createTime)),
        q.updateId === "" ? "" : h("a", { href: updateHref(q.updateId) }, "watch update"),
      ],
    })),
  );
}
