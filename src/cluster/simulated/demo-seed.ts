import { tryParseImageReference } from "../../core/domain/image-reference.js";
import type { SimulatedCluster } from "./simulated-cluster.js";
import type { SimulatedWorkloadSpec } from "./simulated-workload-spec.js";

/** The image the demo's shop runs at start. */
export const demoShopImage = "registry.example.com/shop/web:1.4.2";

/**
 * The embedded demo (`npm start` without a cluster). Namespace `shop`, classifier `shop`:
 *
 * | object                      | image(s)                                              | why it is there                                   |
 * |-----------------------------|-------------------------------------------------------|---------------------------------------------------|
 * | Deployment shop/web         | registry.example.com/shop/web:1.4.2 (3 replicas)      | the main target                                   |
 * | Deployment shop/worker      | shop/web:1.4.2 + sidecar platform/log-shipper:3.1.0   | same repository; the sidecar must stay unchanged  |
 * | Deployment shop/admin       | registry.example.com/shop/web-admin:2.0.0             | prefix trap: `shop/web` updates must not touch it |
 * | CronJob shop/report         | shop/web:1.4.2                                        | CronJobs are updated too (no rollout to gate)     |
 * | Job shop/web-migrate        | shop/web:1.4.2, suspended, migration-order 1          | the migration template, copied and run first      |
 * | StatefulSet shop/cache      | registry.example.com/platform/cache:7.2.4             | another classifier (`platform`): never touched    |
 * | Deployment legacy/storefront| shop/web:1.4.2, annotation xcnt.io/update-classifier  | opted in the legacy way                           |
 *
 * Any image whose tag contains `broken` (e.g. `registry.example.com/shop/web:1.5.0-broken`)
 * crash-loops, so a failing update can be tried: its Deployments stall, report CrashLoopBackOff,
 * and the manager rolls them back. Migrations of such an image still succeed (a broken server, not
 * a broken migration). Deployments use a 60 s progress deadline so the demo fails fast.
 *
 * Any image whose tag contains `stuck` runs but never becomes ready (no waiting reason), so an update
 * of it stays running until the progress deadline, its timeout or a CancelUpdate: the way to try a
 * cancel, or a second update of a busy target (TARGET_BUSY).
 */
export const demoWorkloads: readonly SimulatedWorkloadSpec[] = [
  {
    kind: "Deployment",
    namespace: "shop",
    name: "web",
    classifier: "shop",
    labels: { "app.kubernetes.io/name": "web" },
    replicas: 3,
    progressDeadlineSeconds: 60,
    containers: [{ name: "web", image: demoShopImage }],
  },
  {
    kind: "Deployment",
    namespace: "shop",
    name: "worker",
    classifier: "shop",
    labels: { "app.kubernetes.io/name": "worker" },
    replicas: 2,
    progressDeadlineSeconds: 60,
    containers: [
      { name: "worker", image: demoShopImage },
      { name: "log-shipper", image: "registry.example.com/platform/log-shipper:3.1.0" },
    ],
  },
  {
    kind: "Deployment",
    namespace: "shop",
    name: "admin",
    classifier: "shop",
    labels: { "app.kubernetes.io/name": "admin" },
    replicas: 1,
    progressDeadlineSeconds: 60,
    containers: [{ name: "admin", image: "registry.example.com/shop/web-admin:2.0.0" }],
  },
  {
    kind: "CronJob",
    namespace: "shop",
    name: "report",
    classifier: "shop",
    containers: [{ name: "report", image: demoShopImage }],
  },
  {
    kind: "Job",
    namespace: "shop",
    name: "web-migrate",
    classifier: "shop",
    migrationOrder: 1,
    suspended: true,
    containers: [{ name: "migrate", image: demoShopImage }],
  },
  {
    kind: "StatefulSet",
    namespace: "shop",
    name: "cache",
    classifier: "platform",
    replicas: 2,
    containers: [{ name: "cache", image: "registry.example.com/platform/cache:7.2.4" }],
  },
  {
    kind: "Deployment",
    namespace: "legacy",
    name: "storefront",
    legacyClassifier: "shop",
    replicas: 2,
    progressDeadlineSeconds: 60,
    containers: [{ name: "storefront", image: demoShopImage }],
  },
];

/** True for images whose tag contains "broken": the demo's way to try a failing update. */
export function isBrokenDemoImage(image: string): boolean {
  return tryParseImageReference(image)?.tag?.includes("broken") === true;
}

/** True for images whose tag contains "stuck": the demo's way to keep an update running. */
export function isStuckDemoImage(image: string): boolean {
  return tryParseImageReference(image)?.tag?.includes("stuck") === true;
}

/** Adds the demo objects (see demoWorkloads), makes `broken` images crash-loop and `stuck` ones never ready. */
export function seedDemoCluster(cluster: SimulatedCluster): void {
  for (const spec of demoWorkloads) cluster.addWorkload(spec);
  cluster.failImage(isBrokenDemoImage, "crash-loop");
  cluster.failImage(isStuckDemoImage, "unready");
}
