import type { Update } from "../../../gen/updatemanager/v1/update_pb.js";
import type { Quarantine } from "../../../gen/updatemanager/v1/quarantine_pb.js";
import type { Target } from "../../../gen/updatemanager/v1/workload_pb.js";
import { createDashboardClient, createDashboardPlanClient } from "./dashboard-client.js";
import { renderPlans } from "./plans-view.js";
import { h } from "./dom.js";
import type { DomDocument, DomElement, DomInputElement, DomWindow } from "./dom-api.js";
import { describeError } from "./describe-error.js";
import { createKeyStore } from "./key-store.js";
import { listAllPages } from "./list-all-pages.js";
import { applyEvent, type LiveUpdate, liveUpdateFrom } from "./live-update.js";
import { createLiveUpdateView } from "./live-update-view.js";
import { createPoller, type Poller } from "./poller.js";
import { renderQuarantines } from "./quarantines-view.js";
import { parseRoute } from "./route.js";
import { groupTargetsByClassifier } from "./targets-by-classifier.js";
import { renderTargets } from "./targets-view.js";
import { realTimers } from "./timers.js";
import { renderUpdates } from "./updates-view.js";
import { type WatchStatus, watchWithResume } from "./watch-with-resume.js";

/**
 * How often the lists are read again. Recent updates are polled (ListUpdates has no stream) every 5 s; targets
 * and quarantines change only with updates, node plans slowly: every 15 s. About 24 read calls a minute per open tab, well
 * inside the default read limit of 100 a minute per key. Polling pauses while the tab is hidden.
 */
export const updatesPollMs = 5_000;
export const listsPollMs = 15_000;

function element<T extends DomElement = DomElement>(doc: DomDocument, id: string): T {
  const found = doc.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

function refreshedText(what: string, everyMs: number): string {
  return `${what} at ${new Date().toISOString().slice(11, 19)} UTC; refreshed every ${everyMs / 1000} s.`;
}

function watchStatusText(status: WatchStatus): string {
  switch (status.state) {
    case "connecting":
      return status.afterSequence === 0n ? "Connecting…" : `Resuming after event ${status.afterSequence}…`;
    case "live":
      return "Live: events appear as they happen.";
    case "reconnecting":
      return `The stream dropped (${status.reason}); resuming in ${Math.round(status.inMs / 1000)} s.`;
    case "finished":
      return "Finished: the update reached its terminal state.";
    case "failed":
      return describeError(status.error, "watch this update").message;
  }
}

/** Wires the page: key form, the four polled lists (updates, targets, quarantines, node plans), the route, and the live view. */
export function startDashboard(win: DomWindow): void {
  const doc = win.document;
  const keys = createKeyStore(win.sessionStorage);
  const client = createDashboardClient({ baseUrl: win.location.origin, key: () => keys.get() });
  const planClient = createDashboardPlanClient({ baseUrl: win.location.origin, key: () => keys.get() });

  const alert = element(doc, "auth-error");
  const keyForm = element(doc, "key-form");
  const keyInput = element<DomInputElement>(doc, "api-key");
  const keyStatus = element(doc, "key-status");
  const forgetKey = element(doc, "forget-key");
  const filter = element<DomInputElement>(doc, "classifier-filter");
  const live = element(doc, "live");
  const sections = {
    updates: { body: element(doc, "updates"), status: element(doc, "updates-status") },
    targets: { body: element(doc, "targets"), status: element(doc, "targets-status") },
    quarantines: { body: element(doc, "quarantines"), status: element(doc, "quarantines-status") },
    plans: { body: element(doc, "plans"), status: element(doc, "plans-status") },
  };

  // Key problems by what failed ("list targets", ...): one alert lists them all, and each entry goes away
  // when that call succeeds again, so a key allowed some reads but not others says exactly which.
  const authProblems = new Map<string, string>();
  function showAuthProblems(): void {
    // An unaccepted key fails every call alike: one line says it once.
    alert.replaceChildren(...[...new Set(authProblems.values())].map((message) => h("p", {}, message)));
    alert.hidden = authProblems.size === 0;
  }
  function succeeded(action: string, status?: DomElement, text?: string): void {
    if (authProblems.delete(action)) showAuthProblems();
    if (status !== undefined && text !== undefined) {
      status.textContent = text;
      status.classList.remove("error");
    }
  }
  /**
   * Shows a failure beside its list; true when it is the key's fault. Then the list is emptied (it was read
   * with another key, or must not be shown to this one) and the caller stops asking until the key changes.
   */
  function failed(action: string, error: unknown, section: { body: DomElement; status: DomElement }): boolean {
    const description = describeError(error, action);
    section.status.textContent = description.auth ? `${description.code}: see the message at the top.` : description.message;
    section.status.classList.add("error");
    if (description.auth) {
      section.body.replaceChildren();
      authProblems.set(action, description.message);
      showAuthProblems();
    }
    return description.auth;
  }

  // Undefined until read with the current key: nothing is drawn rather than an empty list that is not true.
  let recentUpdates: readonly Update[] | undefined;
  let targets: readonly Target[] | undefined;
  let selectedUpdateId: string | undefined;
  const pausedByAuth = new Set<Poller>();
  // Bumped on every key change. A read that began under an earlier key is stale when it answers: neither its
  // data nor its refusal may reach the page (a refusal would pause the poller the new key just restarted).
  let keyGeneration = 0;

  function drawUpdates(): void {
    if (recentUpdates === undefined) return;
    sections.updates.body.replaceChildren(renderUpdates(recentUpdates, selectedUpdateId));
  }
  function drawTargets(): void {
    if (targets === undefined) return;
    const groups = groupTargetsByClassifier(targets, filter.value);
    sections.targets.body.replaceChildren(renderTargets(groups, filter.value));
  }

  const updatesPoller: Poller = createPoller({
    intervalMs: updatesPollMs,
    timers: realTimers,
    async run() {
      const generation = keyGeneration;
      try {
        const { updates } = await client.listUpdates({ pageSize: 25 });
        if (generation !== keyGeneration) return;
        recentUpdates = updates;
        succeeded("list updates", sections.updates.status, refreshedText("The 25 newest updates", updatesPollMs));
        drawUpdates();
      } catch (error) {
        if (generation !== keyGeneration) return;
        if (failed("list updates", error, sections.updates)) {
          recentUpdates = undefined;
          pause(updatesPoller);
        }
      }
    },
  });
  const targetsPoller: Poller = createPoller({
    intervalMs: listsPollMs,
    timers: realTimers,
    async run() {
      const generation = keyGeneration;
      try {
        const all = await listAllPages(async (pageToken) => {
          const page = await client.listTargets({ pageSize: 500, pageToken });
          return { items: page.targets, nextPageToken: page.nextPageToken };
        }, 10);
        if (generation !== keyGeneration) return;
        targets = all.items;
        const what = all.truncated ? `The first ${all.items.length} targets` : `${all.items.length} targets`;
        succeeded("list targets", sections.targets.status, refreshedText(what, listsPollMs));
        drawTargets();
      } catch (error) {
        if (generation !== keyGeneration) return;
        if (failed("list targets", error, sections.targets)) {
          targets = undefined;
          pause(targetsPoller);
        }
      }
    },
  });
  const quarantinesPoller: Poller = createPoller({
    intervalMs: listsPollMs,
    timers: realTimers,
    async run() {
      const generation = keyGeneration;
      try {
        const all = await listAllPages<Quarantine>(async (pageToken) => {
          const page = await client.listQuarantines({ pageSize: 100, pageToken });
          return { items: page.quarantines, nextPageToken: page.nextPageToken };
        }, 5);
        if (generation !== keyGeneration) return;
        const what = all.truncated ? `The newest ${all.items.length} quarantines` : "Quarantines";
        succeeded("list quarantines", sections.quarantines.status, refreshedText(what, listsPollMs));
        sections.quarantines.body.replaceChildren(renderQuarantines(all.items));
      } catch (error) {
        if (generation !== keyGeneration) return;
        if (failed("list quarantines", error, sections.quarantines)) pause(quarantinesPoller);
      }
    },
  });
  const plansPoller: Poller = createPoller({
    intervalMs: listsPollMs,
    timers: realTimers,
    async run() {
      const generation = keyGeneration;
      try {
        const { plans, disabled } = await planClient.listNodePlans({});
        if (generation !== keyGeneration) return;
        if (disabled) {
          // Nothing will change until the server is restarted with plans: stop asking.
          succeeded("list node upgrade plans", sections.plans.status, "This server does not run node upgrade plans (UPDATE_MANAGER_NODE_PLANS).");
          sections.plans.body.replaceChildren();
          pause(plansPoller);
          return;
        }
        succeeded("list node upgrade plans", sections.plans.status, refreshedText(`${plans.length} node upgrade plan(s)`, listsPollMs));
        sections.plans.body.replaceChildren(renderPlans(plans));
      } catch (error) {
        if (generation !== keyGeneration) return;
        if (failed("list node upgrade plans", error, sections.plans)) pause(plansPoller);
      }
    },
  });
  const pollers = [updatesPoller, targetsPoller, quarantinesPoller, plansPoller];

  function pause(poller: Poller): void {
    pausedByAuth.add(poller);
    poller.stop();
  }
  function startPolling(): void {
    if (doc.visibilityState === "hidden") return;
    for (const poller of pollers) if (!pausedByAuth.has(poller)) poller.start();
  }

  // --- The live view of one update: a GetUpdate snapshot, then every event from the first (for the log),
  // applied to the snapshot once they are newer than it.
  let watching: AbortController | undefined;
  async function openLiveView(updateId: string): Promise<void> {
    watching?.abort();
    const controller = new AbortController();
    watching = controller;
    selectedUpdateId = updateId;
    drawUpdates();
    live.hidden = false;
    const view = createLiveUpdateView(live, updateId, {
      hasKey: () => keys.get() !== undefined,
      approve: async () => void (await client.approveUpdate({ updateId })),
      reject: async (reason) => void (await client.rejectUpdate({ updateId, reason })),
    });
    view.setStatus("Loading…");
    let model: LiveUpdate;
    try {
      const { update } = await client.getUpdate({ updateId });
      if (update === undefined) throw new Error("the server returned no update");
      model = liveUpdateFrom(update);
      succeeded("read this update");
    } catch (error) {
      if (controller.signal.aborted) return;
      const description = describeError(error, "read this update");
      view.setStatus(description.message, true);
      if (description.auth) {
        authProblems.set("read this update", description.message);
        showAuthProblems();
      }
      return;
    }
    if (controller.signal.aborted) return;
    view.show(model);
    let current = model;
    const outcome = await watchWithResume({
      afterSequence: 0n,
      signal: controller.signal,
      timers: realTimers,
      watch: (afterSequence, signal) => client.watchUpdate({ updateId, afterSequence }, { signal }),
      onEvent(event) {
        view.appendEvent(event);
        current = applyEvent(current, event);
        view.show(current);
      },
      onStatus(status) {
        view.setStatus(watchStatusText(status), status.state === "failed");
        if (status.state === "live") succeeded("watch this update");
        if (status.state === "failed" && describeError(status.error, "watch this update").auth) {
          authProblems.set("watch this update", watchStatusText(status));
          showAuthProblems();
        }
      },
    });
    if (outcome !== "finished") return;
    // The lists changed with the update; and the server's final record has each workload's last rollout
    // status (progress events are coalesced). The rollback is known from the events only, so it is kept.
    for (const poller of pollers) poller.refresh();
    try {
      const { update } = await client.getUpdate({ updateId });
      if (update !== undefined && !controller.signal.aborted) view.show({ ...liveUpdateFrom(update), rollback: current.rollback });
    } catch {
      // The view already shows the terminal state from the stream.
    }
  }

  function closeLiveView(): void {
    for (const action of ["read this update", "watch this update"]) authProblems.delete(action);
    showAuthProblems();
    watching?.abort();
    watching = undefined;
    selectedUpdateId = undefined;
    live.hidden = true;
    live.replaceChildren();
    drawUpdates();
  }

  function followRoute(): void {
    const route = parseRoute(win.location.hash);
    if (route.view === "update") void openLiveView(route.updateId);
    else closeLiveView();
  }

  // --- The key: kept in sessionStorage for this tab; a new key clears the alerts and starts over.
  function showKeyStatus(): void {
    keyStatus.textContent =
      keys.get() === undefined
        ? "No key: calls are anonymous."
        : "A key is set for this tab only (sessionStorage); it is sent as the Authorization header.";
  }
  function keyChanged(): void {
    keyGeneration += 1;
    showKeyStatus();
    // What was read with the previous key is not shown under the new one.
    recentUpdates = undefined;
    targets = undefined;
    for (const section of Object.values(sections)) {
      section.body.replaceChildren();
      section.status.textContent = "Loading…";
      section.status.classList.remove("error");
    }
    authProblems.clear();
    showAuthProblems();
    pausedByAuth.clear();
    for (const poller of pollers) {
      poller.stop();
    }
    startPolling();
    followRoute();
  }
  keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    keys.set(keyInput.value);
    keyInput.value = "";
    keyChanged();
  });
  forgetKey.addEventListener("click", () => {
    keys.forget();
    keyChanged();
  });

  filter.addEventListener("input", drawTargets);
  win.addEventListener("hashchange", followRoute);
  doc.addEventListener("visibilitychange", () => {
    if (doc.visibilityState === "hidden") for (const poller of pollers) poller.stop();
    else startPolling();
  });

  showKeyStatus();
  startPolling();
  followRoute();
}
