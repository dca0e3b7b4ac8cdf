import type { DomElement } from "./dom-api.js";
import type { UpdateEvent } from "../../../gen/updatemanager/v1/event_pb.js";
import { UpdateState, WorkloadPhase } from "../../../gen/updatemanager/v1/update_pb.js";
import { RolloutState, WorkloadKind, type WorkloadRef } from "../../../gen/updatemanager/v1/workload_pb.js";
import { h, table } from "./dom.js";
import { eventSummary } from "./event-summary.js";
import {
  isTerminal,
  migrationPhaseText,
  rolloutText,
  shownWorkloadPhase,
  timestampIso,
  timestampText,
  updatePhaseText,
  updateStateText,
  updateStateTone,
  workloadText,
} from "./format.js";
import type { LiveUpdate, LiveWorkload } from "./live-update.js";
import { type ApprovalActions, createApprovalControls } from "./approval-controls.js";
import { badge } from "./state-badge.js";

/** The live view of one update, drawn into the page's `#live` section. */
export interface LiveUpdateView {
  /** Shows the model (summary, migrations, workloads, rollback). */
  show(model: LiveUpdate): void;
  /** Adds an event to the log. */
  appendEvent(event: UpdateEvent): void;
  /** The stream's status line. */
  setStatus(text: string, isError?: boolean): void;
}

function progressCell(workload: LiveWorkload): DomElement | string {
  const rollout = workload.rollout;
  if (rollout === undefined && workload.ref?.kind === WorkloadKind.CRON_JOB) return "no rollout (the next run uses the image)";
  const text = rolloutText(rollout);
  if (rollout === undefined || rollout.state === RolloutState.NOT_APPLICABLE || rollout.desiredReplicas === 0) return text;
  // The bar shows replicas on the new template, the way `kubectl rollout status` counts progress.
  return h(
    "span",
    {},
    h("progress", {
      max: String(rollout.desiredReplicas),
      value: String(Math.min(rollout.updatedReplicas, rollout.desiredReplicas)),
      "aria-label": `${workloadText(workload.ref)}: ${text}`,
    }),
    " ",
    text,
  );
}

function shownPhaseBadge(model: LiveUpdate, workload: LiveWorkload): DomElement {
  const shown = shownWorkloadPhase(model.state, workload.phase);
  return badge(shown.text, shown.tone);
}

/** The detail column; a workload still pending when the update ended was never touched, which is worth saying. */
function workloadDetail(model: LiveUpdate, workload: LiveWorkload): string {
  if (workload.message !== "") return workload.message;
  if (isTerminal(model.state) && workload.phase === WorkloadPhase.PENDING) return "not changed: the update ended before it";
  return "";
}

const refList = (refs: readonly WorkloadRef[]) => (refs.length === 0 ? "none" : refs.map(workloadText).join(", "));

function rollbackSection(model: LiveUpdate): DomElement | false {
  const rollback = model.rollback;
  if (rollback === undefined) return false;
  const result = rollback.result;
  return h(
    "section",
    { "aria-labelledby": "live-rollback-title", "data-testid": "rollback" },
    h("h3", { id: "live-rollback-title" }, "Rollback"),
    h(
      "dl",
      { class: "summary" },
      h("dt", {}, "Why"),
      h("dd", {}, rollback.reason || "(no reason given)"),
      h("dt", {}, "Restoring"),
      h("dd", {}, refList(rollback.workloads)),
      h("dt", {}, "Migrations not undone"),
      h("dd", {}, refList(rollback.migrationsNotUndone)),
      h("dt", {}, "Result"),
      h(
        "dd",
        {},
        result === undefined
          ? "under way"
          : result.success
            ? "every changed workload runs its previous images again"
            : `not restored: ${refList(result.remaining)}`,
      ),
    ),
  );
}

/**
 * Builds the view's fixed parts once; `show` redraws the parts that change. With `approval`, an update waiting for
 * approval shows approve and reject buttons.
 */
export function createLiveUpdateView(container: DomElement, updateId: string, approval?: ApprovalActions): LiveUpdateView {
  const approvalControls = approval === undefined ? undefined : createApprovalControls(approval);
  const state = h("span", { class: "state", "data-testid": "update-state" }, "loading…");
  const phase = h("span", {});
  const reason = h("span", { "data-testid": "update-reason" });
  const image = h("span", { class: "mono" });
  const classifier = h("span", {});
  const requester = h("span", {});
  const created = h("time", {});
  const status = h("p", { class: "status", "data-testid": "stream-status" });
  const migrations = h("div", {});
  const workloads = h("div", {});
  const rollback = h("div", {});
  const events = h("ol", { class: "events", "data-testid": "event-log" });
  container.replaceChildren(
    h("h2", { id: "live-title" }, "Update ", h("code", {}, updateId)),
    h("p", {}, h("a", { href: "#/" }, "Close the live view")),
    h(
      "dl",
      { class: "summary" },
      h("dt", {}, "State"),
      // Announced when it changes: the one thing someone waiting for a deployment wants to hear.
      h("dd", { "aria-live": "polite" }, state),
      h("dt", {}, "Phase"),
      h("dd", {}, phase),
      h("dt", {}, "Image"),
      h("dd", {}, image),
      h("dt", {}, "Classifier"),
      h("dd", {}, classifier),
      h("dt", {}, "Requested by"),
      h("dd", {}, requester),
      h("dt", {}, "Created"),
      h("dd", {}, created),
      h("dt", {}, "Reason"),
      h("dd", {}, reason),
    ),
    status,
    ...(approvalControls === undefined ? [] : [approvalControls.element]),
    migrations,
    workloads,
    rollback,
    h("h3", {}, "Events"),
    events,
  );

  return {
    show(model) {
      const waitsUntil =
        model.state === UpdateState.WAITING_FOR_GATE && model.gateWait?.notBefore !== undefined ? ` until ${timestampText(model.gateWait.notBefore)}` : "";
      state.textContent = updateStateText(model.state) + waitsUntil;
      state.className = `state state-${updateStateTone(model.state)}`;
      approvalControls?.show(model.state === UpdateState.WAITING_FOR_APPROVAL);
      phase.textContent = updatePhaseText(model.phase) + (model.cancelRequested ? " (cancel requested)" : "");
      reason.textContent = model.reason || (model.state === UpdateState.WAITING_FOR_GATE ? model.gateWait?.reason : undefined) || "—";
      image.textContent = model.image;
      classifier.textContent = model.classifier;
      requester.textContent = model.requester;
      created.textContent = timestampText(model.createTime);
      const createdIso = timestampIso(model.createTime);
      if (createdIso !== undefined) created.setAttribute("datetime", createdIso);

      migrations.replaceChildren(
        model.migrations.length === 0
          ? h("p", {}, "No migrations.")
          : table(
              "Migrations (run first, in this order)",
              ["Template", "Job", "Phase", "Detail"],
              model.migrations.map((m) => ({
                cells: [workloadText(m.ref), h("span", { class: "mono" }, m.jobName), migrationPhaseText(m.phase), m.message],
              })),
              { "data-testid": "live-migrations" },
            ),
      );
      workloads.replaceChildren(
        model.workloads.length === 0
          ? h("p", {}, "No workloads.")
          : table(
              "Workloads",
              ["Workload", "Phase", "Rollout", "Detail"],
              model.workloads.map((w) => ({
                attributes: { "data-workload": w.ref?.name },
                cells: [workloadText(w.ref), shownPhaseBadge(model, w), progressCell(w), workloadDetail(model, w)],
              })),
              { "data-testid": "live-workloads" },
            ),
      );
      rollback.replaceChildren(...[rollbackSection(model)].filter((node) => node !== false));
    },
    appendEvent(event) {
      events.append(
        h(
          "li",
          { value: String(event.sequence) },
          h("time", { datetime: timestampIso(event.time) }, timestampText(event.time).slice(11)),
          eventSummary(event),
        ),
      );
    },
    setStatus(text, isError = false) {
      status.textContent = text;
      status.classList.toggle("error", isError);
    },
  };
}
