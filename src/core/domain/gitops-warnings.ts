/** Field managers of GitOps controllers that re-apply their own desired state. */
const gitOpsManagers = ["flux", "kustomize-controller", "helm-controller", "argocd"];

/**
 * Warnings for fields owned by a GitOps controller: it may revert an image the manager sets.
 * Matching is by substring, case-insensitive, since managers carry suffixes (`argocd-controller`).
 */
export function gitOpsWarnings(fieldManagers: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const manager of new Set(fieldManagers)) {
    const lower = manager.toLowerCase();
    if (gitOpsManagers.some((known) => lower.includes(known))) {
      warnings.push(`fields are managed by ${manager}: it may revert this change`);
    }
  }
  return warnings;
}
