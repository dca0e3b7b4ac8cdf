import type { NodePlanReads } from "../../../../src/core/ports/node-plans.js";
import type { FakeNodePlans } from "./fake-node-plans.js";

/** NodePlanReads over the fake's plans and nodes; `changed()` tells subscribers, as the informers would. */
export function createFakeNodePlanReads(fake: FakeNodePlans, options: { synced?: boolean } = {}) {
  const listeners = new Set<() => void>();
  const reads: NodePlanReads = {
    isSynced: () => options.synced ?? true,
    listPlans: () => fake.port.listPlans(),
    getPlan: (name) => fake.port.getPlan(name),
    listNodes: () => fake.port.listNodes(),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    reads,
    changed(): void {
      for (const listener of [...listeners]) listener();
    },
    subscribers: () => listeners.size,
  };
}
