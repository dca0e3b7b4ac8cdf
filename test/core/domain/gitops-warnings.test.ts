import { describe, expect, it } from "vitest";
import { gitOpsWarnings } from "../../../src/core/domain/gitops-warnings.js";

const warningFor = (manager: string) => `fields are managed by ${manager}: it may revert this change`;

describe("gitOpsWarnings", () => {
  it("says nothing for the managers of plain kubectl and Kubernetes' own controllers", () => {
    expect(
      gitOpsWarnings(["kubectl-client-side-apply", "kubectl-edit", "kube-controller-manager", "update-manager", "helm"]),
    ).toEqual([]);
    expect(gitOpsWarnings([])).toEqual([]);
  });

  it.each(["flux", "kustomize-controller", "helm-controller", "argocd"])("warns about the GitOps manager %s", (manager) => {
    expect(gitOpsWarnings(["kubectl-client-side-apply", manager])).toEqual([warningFor(manager)]);
  });

  it("recognises managers by substring and regardless of case, naming them as they were written", () => {
    expect(gitOpsWarnings(["argocd-controller", "ArgoCD", "gotk-flux-system", "Helm-Controller"])).toEqual([
      warningFor("argocd-controller"),
      warningFor("ArgoCD"),
      warningFor("gotk-flux-system"),
      warningFor("Helm-Controller"),
    ]);
  });

  it("warns once per manager, however often it appears (managedFields has one entry per operation)", () => {
    expect(gitOpsWarnings(["argocd", "kube-controller-manager", "argocd", "flux", "argocd"])).toEqual([
      warningFor("argocd"),
      warningFor("flux"),
    ]);
  });

  it("keeps the order the managers were listed in", () => {
    expect(gitOpsWarnings(["kustomize-controller", "argocd"])).toEqual([warningFor("kustomize-controller"), warningFor("argocd")]);
    expect(gitOpsWarnings(["argocd", "kustomize-controller"])).toEqual([warningFor("argocd"), warningFor("kustomize-controller")]);
  });
});
