import type { DomElement } from "./dom-api.js";
import type { Update } from "../../../gen/updatemanager/v1/update_pb.js";
import { h, table } from "./dom.js";
import { timestampIso, timestampText } from "./format.js";
import { updateHref } from "./route.js";
import { updateStateBadge } from "./state-badge.js";

/** The recent updates, newest first; each image links to the update's live view. */
export function renderUpdates(updates: readonly Update[], selectedId: string | undefined): DomElement {
  if (updates.length === 0) return h("p", {}, "No updates yet.");
  return table(
    "Newest first; select an image to watch its update live.",
    ["Created", "Image", "Classifier", "Requester", "State"],
    updates.map((update) => {
      const selected = update.id === selectedId;
      return {
        attributes: { class: selected ? "selected" : undefined, "data-update-id": update.id },
        cells: [
          h("time", { datetime: timestampIso(update.createTime) }, timestampText(update.createTime)),
          h(
            "a",
            { href: updateHref(update.id), "aria-current": selected ? "true" : undefined, class: "mono" },
            update.image,
          ),
          update.classifier,
          update.requester,
          updateStateBadge(update.state, {}, update.gateWait),
        ],
      };
    }),
  );
}
