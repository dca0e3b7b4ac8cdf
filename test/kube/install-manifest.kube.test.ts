import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kubectlOk } from "./kubectl.js";
import { type KubeObject, kubeDir, parseYamlDocuments } from "./kustomize-files.js";

/** Objects by `kind namespace/name`, so that the order and formatting of either side do not matter. */
function byIdentity(objects: KubeObject[]): Record<string, KubeObject> {
  const entries = objects.map((o) => [`${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`, o] as const);
  const result = Object.fromEntries(entries);
  expect(Object.keys(result)).toHaveLength(objects.length);
  return result;
}

describe("kube/install.yaml", () => {
  it("holds exactly the objects `kubectl kustomize kube/base` renders (regenerate: scripts/kube/render-install.sh)", async () => {
    const rendered = parseYamlDocuments(await kubectlOk(["kustomize", "kube/base"]), "kube/base") as KubeObject[];
    const file = join(kubeDir, "install.yaml");
    const committed = parseYamlDocuments(readFileSync(file, "utf8"), file) as KubeObject[];
    expect(byIdentity(committed)).toEqual(byIdentity(rendered));
  });

  it("lists the Namespace and the CRD before the objects that need them, for a plain `kubectl apply -f`", () => {
    const file = join(kubeDir, "install.yaml");
    const kinds = (parseYamlDocuments(readFileSync(file, "utf8"), file) as KubeObject[]).map((o) => o.kind);
    const firstNamespaced = kinds.findIndex((kind) => !["Namespace", "CustomResourceDefinition"].includes(kind));
    expect(kinds.indexOf("Namespace")).toBeLessThan(firstNamespaced);
    expect(kinds.indexOf("CustomResourceDefinition")).toBeLessThan(firstNamespaced);
  });
});
