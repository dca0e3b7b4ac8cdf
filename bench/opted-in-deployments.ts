/**
 * The opted-in Deployments the Kubernetes benchmarks at scale share (bench/memory.bench.ts, bench/accept-latency.bench.ts):
 * `replicas: 0`, one container, spread over namespaces, one of 4 classifiers, an image repository each (so an
 * `Update` of one Deployment's repository has exactly one target).
 */
import { performance } from "node:perf_hooks";
import type { AppsV1Api, CoreV1Api, V1Deployment } from "@kubernetes/client-node";
import { keys } from "../test/e2e-kube/kube-e2e-environment.js";
import { pool, until } from "./bench-support.js";

export interface OptedInDeployments {
  readonly namespaces: number;
  /** Namespace names are `<prefix>-000`, `<prefix>-001`, ... */
  readonly prefix: string;
  /** Creates and reads that many requests at a time. Default: 32. */
  readonly concurrency?: number;
}

/** The i-th Deployment: where it lives, its classifier and its image repository. */
export function deploymentOf(set: OptedInDeployments, i: number) {
  const namespace = `${set.prefix}-${String(i % set.namespaces).padStart(3, "0")}`;
  const name = `svc-${String(Math.floor(i / set.namespaces)).padStart(4, "0")}`;
  return { namespace, name, classifier: `team-${i % 4}`, repository: `registry.example.com/${namespace}/${name}` };
}

export function manifest(set: OptedInDeployments, i: number): { namespace: string; body: V1Deployment } {
  const { namespace, name, classifier, repository } = deploymentOf(set, i);
  return {
    namespace,
    body: {
      metadata: { name, labels: { app: name, [keys.classifierLabel]: classifier } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: "app", image: `${repository}:1.0.0` }] },
        },
      },
    },
  };
}

export async function createNamespaces(core: CoreV1Api, set: OptedInDeployments): Promise<void> {
  await pool(
    Array.from({ length: set.namespaces }, (_, i) => deploymentOf(set, i).namespace),
    set.concurrency ?? 32,
    async (name) => {
      await core.createNamespace({ body: { metadata: { name } } });
    },
  );
}

/** Creates Deployments `from` .. `to - 1`; the time it took, in ms. */
export async function createDeployments(apps: AppsV1Api, set: OptedInDeployments, from: number, to: number): Promise<number> {
  const started = performance.now();
  await pool(
    Array.from({ length: to - from }, (_, k) => from + k),
    set.concurrency ?? 32,
    async (i) => {
      const { namespace, body } = manifest(set, i);
      await apps.createNamespacedDeployment({ namespace, body });
    },
  );
  return Math.round(performance.now() - started);
}

/** Waits until the controller-manager has written a status on every Deployment (its own writes then stop). */
export async function waitForControllers(apps: AppsV1Api, expected: number): Promise<number> {
  const started = performance.now();
  await until(
    `the controller-manager processed ${expected} Deployments`,
    async () => {
      let observed = 0;
      let continueToken: string | undefined;
      do {
        const page = await apps.listDeploymentForAllNamespaces({ limit: 2_000, ...(continueToken ? { _continue: continueToken } : {}) });
        observed += page.items.filter(
          (d) => d.status?.observedGeneration === d.metadata?.generation && (d.status?.conditions?.length ?? 0) > 0,
        ).length;
        continueToken = page.metadata?._continue || undefined;
      } while (continueToken !== undefined);
      return observed >= expected;
    },
    900_000,
    3_000,
  );
  return Math.round(performance.now() - started);
}

/** Whether the manager's caches are synced and it is ready (its /metrics and /readyz). */
export async function cachesSynced(adminUrl: string): Promise<boolean> {
  const metrics = await fetch(`${adminUrl}/metrics`).then((response) => response.text(), () => "");
  const ready = await fetch(`${adminUrl}/readyz`).then((response) => response.status === 200, () => false);
  return ready && /^update_manager_caches_synced 1$/m.test(metrics);
}
