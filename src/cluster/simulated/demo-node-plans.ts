import type { SimulatedNodePlans } from "./simulated-node-plans.js";

/** The demo's node label the sample plan selects. */
export const demoNodeLabel = "node.example.com/os-upgrade";

/** The sample plan of the embedded demo: the seed's k3os example's shape, for the demo's three nodes. */
export const demoPlan = {
  name: "demo-os",
  spec: {
    concurrency: 1,
    version: "v1.2.0",
    nodeSelector: { matchLabels: { [demoNodeLabel]: "true" } },
    drain: { force: true, timeout: "2m" },
    upgrade: { image: "registry.example.com/platform/os-upgrade", command: ["upgrade"], args: ["--reboot"] },
  },
} as const;

/**
 * The embedded demo's nodes (`npm start` without a cluster): three nodes running the shop's pods (ReplicaSet
 * shop/web-7d9c5 with 3 replicas under a PodDisruptionBudget allowing 1 down, StatefulSet shop/cache with 2), and
 * the sample plan `demo-os`, which upgrades them one at a time: claim, cordon, drain (the budget refuses evicting a
 * web pod while another is not ready), the upgrade Job (4 s), the node's reboot (2 s), label and uncordon, then the
 * health gate (node Ready, the evicted pods' owners back at their ready replicas, the budget healthy) before the next.
 * One run takes about half a minute; each step is logged as the plan's Event.
 */
export function seedDemoNodePlans(plans: SimulatedNodePlans): void {
  const nodes = ["demo-node-1", "demo-node-2", "demo-node-3"];
  for (const node of nodes) plans.addNode(node, { [demoNodeLabel]: "true", "kubernetes.io/hostname": node });
  const web = { kind: "ReplicaSet", namespace: "shop", name: "web-7d9c5" };
  plans.addWorkload(web, nodes);
  plans.addDisruptionBudget("web", web, 1);
  plans.addWorkload({ kind: "StatefulSet", namespace: "shop", name: "cache" }, ["demo-node-1", "demo-node-2"]);
  plans.applyPlan(demoPlan.name, demoPlan.spec);
}
