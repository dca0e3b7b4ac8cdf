import { describe, expect, it } from "vitest";
import { awaitedOwnersOf, containsOwners, mergeOwners } from "../../../../src/core/domain/node-plan/evicted-owners.js";

const pod = (namespace: string, controllerKind: string | undefined, controllerName?: string) => ({ namespace, controllerKind, controllerName });

describe("the owners of evicted pods the health gate waits for", () => {
  it("are the distinct ReplicaSets, Deployments, StatefulSets and DaemonSets, sorted; never Jobs, custom kinds or bare pods", () => {
    expect(
      awaitedOwnersOf([
        pod("shop", "StatefulSet", "db"),
        pod("shop", "ReplicaSet", "web-5d4f"),
        pod("shop", "ReplicaSet", "web-5d4f"),
        pod("ops", "Job", "backup"),
        pod("ops", "Rollout", "canary"),
        pod("ops", undefined),
        pod("kube-system", "DaemonSet", "agent"),
      ]),
    ).toEqual([
      { kind: "DaemonSet", namespace: "kube-system", name: "agent" },
      { kind: "ReplicaSet", namespace: "shop", name: "web-5d4f" },
      { kind: "StatefulSet", namespace: "shop", name: "db" },
    ]);
  });

  it("merge without duplicates and tell whether a set already holds another", () => {
    const web = { kind: "ReplicaSet", namespace: "shop", name: "web" };
    const db = { kind: "StatefulSet", namespace: "shop", name: "db" };
    expect(mergeOwners([db], [web, db])).toEqual([web, db]);
    expect(containsOwners([web, db], [db])).toBe(true);
    expect(containsOwners([web], [db])).toBe(false);
    expect(containsOwners([], [])).toBe(true);
  });
});
