import type { Notification, NotificationKind } from "../domain/notification.js";
import { isTerminal, type UpdateRecord, type UpdateState } from "../domain/update.js";
import { toRef } from "../domain/workload.js";
import type { UpdateStore } from "../ports/update-store.js";
import type { NotificationDispatcher } from "./notification-dispatcher.js";
import { observeUpdateStore, type UpdateStoreObserver } from "./observe-update-store.js";

/** The terminal state's notification kind. */
const finishedKinds: Readonly<Record<UpdateState, NotificationKind | undefined>> = {
  planned: undefined,
  queued: undefined,
  "waiting-for-approval": undefined,
  "waiting-for-gate": undefined,
  pending: undefined,
  running: undefined,
  "rolling-back": undefined,
  succeeded: "update-succeeded",
  "rolled-back": "update-rolled-back",
  failed: "update-failed",
  "rollback-failed": "update-failed",
  cancelled: "update-failed",
};

/**
 * What the engine records becomes notifications (an observer of its store: observeUpdateStore): an update
 * started (its first save as `running`), and its end (the `finished` event: succeeded, rolled back, or failed,
 * rollback-failed and cancelled as `update-failed`). Only the executing replica saves these, so each is announced
 * once; an update that waits for approval is announced as `approval-needed` when recorded. A replica that resumes an
 * update may announce its start again, which the channels' duplicate check drops. An update recorded already
 * finished (a refused request) is not announced: its caller got the answer. Notifying never fails or delays a save.
 */
export function updateNotifications(dispatcher: Pick<NotificationDispatcher, "notify">): UpdateStoreObserver {
  /** Updates whose start was announced by this process, forgotten when they finish. */
  const started = new Set<string>();
  return {
    created(record) {
      // The replica that accepted an update needing approval asks the approvers (once: the channels' duplicate
      // check drops a repeat).
      if (record.state === "waiting-for-approval") dispatcher.notify(notificationOf(record, "approval-needed", record.createTime));
    },
    saved(record, events) {
      if (record.state === "running" && !started.has(record.id)) {
        started.add(record.id);
        dispatcher.notify(notificationOf(record, "update-started", record.startTime));
      }
      if (events.some((event) => event.type === "finished") && isTerminal(record.state)) {
        started.delete(record.id);
        const kind = finishedKinds[record.state];
        if (kind !== undefined) dispatcher.notify(notificationOf(record, kind, record.finishTime));
      }
    },
  };
}

/** The engine's store with `updateNotifications(dispatcher)` as its one observer. */
export function notifyUpdateEvents(store: UpdateStore, dispatcher: Pick<NotificationDispatcher, "notify">): UpdateStore {
  return observeUpdateStore(store, [updateNotifications(dispatcher)]);
}

function notificationOf(record: UpdateRecord, kind: NotificationKind, time: Date | undefined): Notification {
  const changed = record.plan.workloads.filter((workload) => !workload.unchanged).map((workload) => toRef(workload.workload));
  return {
    kind,
    time: time ?? new Date(record.createTime),
    classifier: record.classifier,
    workloads: changed.length > 0 ? changed : record.plan.workloads.map((workload) => toRef(workload.workload)),
    image: record.image,
    updateId: record.id,
    ...(record.trace === undefined ? {} : { traceId: record.trace.traceId }),
    state: record.state,
    reason:
      kind === "approval-needed"
        ? `needs ${record.approval?.required ?? 0} approvals (${record.approval?.policy ?? ""}) by ${record.approval?.deadline.toISOString() ?? ""}`
        : kind === "update-started" || kind === "update-succeeded"
          ? ""
          : record.reason,
    requester: record.requester,
  };
}
