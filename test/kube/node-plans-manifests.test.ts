import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { V1ClusterRole, V1ClusterRoleBinding, V1Deployment, V1PolicyRule, V1Role, V1RoleBinding } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { declaredObjects, findObject, kubeDir, readKustomization, readYamlFile, yamlFilesIn } from "./kustomize-files.js";

const dir = join(kubeDir, "node-plans");
const objects = declaredObjects(dir);
const base = declaredObjects(join(kubeDir, "base"));

function grants(rules: V1PolicyRule[]): string[] {
  return rules
    .flatMap((rule) =>
      (rule.apiGroups ?? []).flatMap((group) =>
        (rule.resources ?? []).flatMap((resource) => rule.verbs.map((verb) => `${verb} ${group === "" ? resource : `${resource}.${group}`}`)),
      ),
    )
    .sort();
}

describe("kube/node-plans", () => {
  const clusterRole = findObject(objects, "ClusterRole", "update-manager-node-plans") as unknown as V1ClusterRole;
  const role = findObject(objects, "Role", "update-manager-node-plans") as unknown as V1Role;

  it("is kube/base plus every manifest of its directory, with only what kubectl 1.20's kustomize understands", () => {
    const kustomization = readKustomization(dir);
    expect(kustomization.bases).toEqual(["../base"]);
    expect(Object.keys(kustomization).sort()).toEqual(["apiVersion", "bases", "kind", "patchesStrategicMerge", "resources"]);
    const listed = [...(kustomization.resources ?? []), ...(kustomization.patchesStrategicMerge ?? [])].sort();
    expect(listed).toEqual(yamlFilesIn(dir).filter((file) => file !== "kustomization.yaml"));
  });

  it("creates the plans' namespace labelled to admit privileged pods", () => {
    const namespace = findObject(objects, "Namespace", "system-upgrade");
    expect(namespace.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("privileged");
  });

  it("grants exactly the node, pod, eviction and budget access plans need, and nothing of it in kube/base", () => {
    expect(grants(clusterRole.rules ?? [])).toEqual(
      [
        ...["get", "list", "watch", "patch"].map((verb) => `${verb} nodes`),
        ...["get", "list", "watch", "delete"].map((verb) => `${verb} pods`),
        "create pods/eviction",
        "list poddisruptionbudgets.policy",
        "watch poddisruptionbudgets.policy",
        ...["replicasets", "deployments", "statefulsets", "daemonsets"].map((resource) => `get ${resource}.apps`),
      ].sort(),
    );
    const baseGrants = base.filter((o) => o.kind === "ClusterRole" || o.kind === "Role").flatMap((o) => grants((o as unknown as V1Role).rules ?? []));
    for (const grant of ["patch nodes", "create pods/eviction", "delete pods", "create nodeupgradeplans/status.updatemanager.io"]) {
      expect(baseGrants).not.toContain(grant);
    }
    expect(base.some((o) => o.kind === "CustomResourceDefinition" && o.metadata.name === "nodeupgradeplans.updatemanager.io")).toBe(true);
  });

  it("grants plans, their status, Jobs and Secrets in the plans' namespace only", () => {
    expect(role.metadata?.namespace).toBe("system-upgrade");
    expect(grants(role.rules ?? [])).toEqual(
      [
        ...["get", "list", "watch", "update"].map((verb) => `${verb} nodeupgradeplans.updatemanager.io`),
        "update nodeupgradeplans/status.updatemanager.io",
        ...["get", "list", "watch", "create", "delete"].map((verb) => `${verb} jobs.batch`),
        "get secrets",
      ].sort(),
    );
  });

  it("grants no wildcard", () => {
    for (const rule of [...(clusterRole.rules ?? []), ...(role.rules ?? [])]) {
      for (const value of [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs]) expect(value).not.toBe("*");
    }
  });

  it("binds both to the manager's ServiceAccount", () => {
    const subject = { kind: "ServiceAccount", name: "update-manager", namespace: "update-manager" };
    expect((findObject(objects, "ClusterRoleBinding", "update-manager-node-plans") as unknown as V1ClusterRoleBinding).subjects).toEqual([subject]);
    expect((findObject(objects, "RoleBinding", "update-manager-node-plans") as unknown as V1RoleBinding).subjects).toEqual([subject]);
  });

  it("turns node plans on in the Deployment, with the plans' namespace", () => {
    const [patch] = readYamlFile(join(dir, "deployment-node-plans.yaml")) as V1Deployment[];
    const env = patch!.spec!.template.spec!.containers[0]!.env ?? [];
    expect(env).toContainEqual({ name: "UPDATE_MANAGER_NODE_PLANS", value: "true" });
    expect(env).toContainEqual({ name: "UPDATE_MANAGER_PLAN_NAMESPACE", value: "system-upgrade" });
  });

  it("is documented grant for grant in kube/README.md's node plans table", () => {
    const rows = readFileSync(join(kubeDir, "README.md"), "utf8")
      .split("\n")
      .filter((line) => line.startsWith("| node plans, "))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    const documented = (scope: string) =>
      rows
        .filter(([, rowScope]) => rowScope === scope)
        .flatMap(([, , group, resources, verbs]) =>
          grants([{ apiGroups: [group === "core" ? "" : group!], resources: resources!.split(",").map((r) => r.trim()), verbs: verbs!.split(",").map((v) => v.trim()) }]),
        )
        .sort();
    expect(documented("node plans, cluster")).toEqual(grants(clusterRole.rules ?? []));
    expect(documented("node plans, plans' namespace")).toEqual(grants(role.rules ?? []));
  });
});
