import type { V1LabelSelector, V1Pod, V1Secret } from "@kubernetes/client-node";
import type { WorkloadRef } from "../../core/domain/workload.js";
import type { PullSecret, PullSecretsPort } from "../../core/ports/pull-secrets.js";
import type { RunningImagesPort } from "../../core/ports/running-images.js";
import { daemonSetApi, deploymentApi, type KindApi, objectPath, collectionPath, podApi, statefulSetApi } from "./kind-api.js";
import { type KubeWorkloadObject, podTemplateOf } from "./kube-objects.js";
import { statusCodeOf, toDomainError } from "./kubernetes-errors.js";
import { formatLabelSelector } from "./label-selector.js";
import { runsTemplate } from "./pod-problems.js";
import type { RestClient } from "./rest-client.js";
import { containersOf } from "./to-workload.js";

export interface KubernetesRegistryAccessOptions {
  readonly rest: RestClient;
}

const podOwnerKinds: Partial<Record<WorkloadRef["kind"], KindApi>> = {
  Deployment: deploymentApi,
  StatefulSet: statefulSetApi,
  DaemonSet: daemonSetApi,
};

/**
 * The registry watcher's reads from the API server:
 * - pull secrets: `GET /api/v1/namespaces/<ns>/secrets/<name>`, one Secret by name; never a list or watch, so the
 *   manager holds only the secrets its watched workloads name, and only while it checks them;
 * - running image IDs: one GET of the workload (its selector and template) and one pod LIST with its selector,
 *   only for `digest` policies whose spec does not pin a digest (after the watcher's first update it does).
 */
export function createKubernetesRegistryAccess(options: KubernetesRegistryAccessOptions): PullSecretsPort & RunningImagesPort {
  const { rest } = options;
  return {
    async getPullSecret(namespace, name): Promise<PullSecret | undefined> {
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
      let secret: V1Secret;
      try {
        secret = await rest.request<V1Secret>({ method: "GET", path });
      } catch (error) {
        if (statusCodeOf(error) === 404) return undefined;
        throw toDomainError(error, { verb: "get", resource: "secrets", namespace, name });
      }
      const encoded = secret.data?.[".dockerconfigjson"];
      return {
        namespace,
        name,
        resourceVersion: secret.metadata?.resourceVersion ?? "",
        type: secret.type ?? "",
        dockerConfigJson: encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8"),
      };
    },

    async runningImageIds(ref) {
      const api = podOwnerKinds[ref.kind];
      const ids = new Map<string, string>();
      if (api === undefined) return ids; // CronJobs and Jobs: only a pinned digest counts.
      let object: KubeWorkloadObject;
      try {
        object = await rest.request<KubeWorkloadObject>({ method: "GET", path: objectPath(api, ref.namespace, ref.name) });
      } catch (error) {
        if (statusCodeOf(error) === 404) return ids;
        throw toDomainError(error, { verb: "get", resource: api.resource, namespace: ref.namespace, name: ref.name });
      }
      const selector = (object.spec as { selector?: V1LabelSelector } | undefined)?.selector;
      const template = containersOf(podTemplateOf(ref.kind, object));
      let pods: { items?: V1Pod[] };
      try {
        pods = await rest.request<{ items?: V1Pod[] }>({
          method: "GET",
          path: collectionPath(podApi, ref.namespace),
          query: { labelSelector: formatLabelSelector(selector) || undefined },
        });
      } catch (error) {
        throw toDomainError(error, { verb: "list", resource: "pods", namespace: ref.namespace });
      }
      for (const pod of pods.items ?? []) {
        if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) continue;
        if (!runsTemplate(pod, template)) continue;
        for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
          if (status.imageID && !ids.has(status.name)) ids.set(status.name, status.imageID);
        }
      }
      return ids;
    },
  };
}
