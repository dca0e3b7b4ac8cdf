import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";

const jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);

/**
 * The original update manager's lookup, per update: every namespace, then its Deployments and Jobs; then a patch
 * of each match. Resolves with how many Deployments it patched.
 */
export async function originalAlgorithmUpdate(kubeConfig: KubeConfig, image: string, classifier: string, classifierLabel: string): Promise<number> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const repository = image.slice(0, image.lastIndexOf(":"));
  const matches = (labels: Record<string, string> | undefined, containers: { image?: string }[] | undefined) =>
    labels?.[classifierLabel] === classifier && (containers ?? []).some((c) => c.image?.slice(0, c.image.lastIndexOf(":")) === repository);
  let patched = 0;
  const namespaces = await core.listNamespace();
  for (const namespace of namespaces.items) {
    const name = namespace.metadata!.name!;
    const deployments = await apps.listNamespacedDeployment({ namespace: name });
    const jobs = await batch.listNamespacedJob({ namespace: name });
    void jobs; // migration templates would be copied here; the benchmark's targets have none
    for (const deployment of deployments.items) {
      const template = deployment.spec?.template.spec;
      if (!matches(deployment.metadata?.labels, template?.containers)) continue;
      const index = template!.containers.findIndex((c) => c.image?.startsWith(`${repository}:`));
      await apps.patchNamespacedDeployment(
        {
          name: deployment.metadata!.name!,
          namespace: name,
          body: [{ op: "replace", path: `/spec/template/spec/containers/${index}/image`, value: image }],
        },
        jsonPatch,
      );
      patched++;
    }
  }
  return patched;
}
