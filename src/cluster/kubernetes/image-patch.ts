import type { V1PodSpec } from "@kubernetes/client-node";
import type { WorkloadKind } from "../../core/domain/workload.js";
import type { ImagePatch } from "../../core/ports/cluster.js";
import { type KubeWorkloadObject, podSpecPointer, podTemplateOf } from "./kube-objects.js";

/** One RFC 6902 operation; only the two the manager sends. */
export type JsonPatchOperation =
  | { readonly op: "test"; readonly path: string; readonly value: string }
  | { readonly op: "replace"; readonly path: string; readonly value: string };

/** A container the patch expects that the object does not have as expected. */
export interface ImageMismatch {
  readonly container: string;
  readonly init: boolean;
  readonly expectedImage: string;
  /** "" when the container is gone. */
  readonly actualImage: string;
}

/**
 * The JSON patch for image changes: per container, first `test` that the container at that index
 * still has that name and still runs the expected image, then `replace` the image. The API server
 * applies all operations or none, so a concurrent edit makes the whole patch fail instead of
 * being overwritten. Indexes come from `object` (the cached copy); the `test`s make a stale
 * cache harmless.
 *
 * @returns undefined when a container to patch is not in `object` at all (nothing to address).
 */
export function buildImagePatch(
  kind: WorkloadKind,
  object: KubeWorkloadObject,
  patches: readonly ImagePatch[],
): JsonPatchOperation[] | undefined {
  const spec = podTemplateOf(kind, object)?.spec;
  const operations: JsonPatchOperation[] = [];
  for (const patch of patches) {
    const list = patch.init ? "initContainers" : "containers";
    const index = containerIndex(spec, patch.container, patch.init);
    if (index === -1) return undefined;
    const pointer = `${podSpecPointer(kind)}/${list}/${index}`;
    operations.push(
      { op: "test", path: `${pointer}/name`, value: patch.container },
      { op: "test", path: `${pointer}/image`, value: patch.expectedImage },
      { op: "replace", path: `${pointer}/image`, value: patch.newImage },
    );
  }
  return operations;
}

/** The first patch whose container does not run its expected image in `object`, if any. */
export function findImageMismatch(
  kind: WorkloadKind,
  object: KubeWorkloadObject,
  patches: readonly ImagePatch[],
): ImageMismatch | undefined {
  const spec = podTemplateOf(kind, object)?.spec;
  for (const patch of patches) {
    const list = (patch.init ? spec?.initContainers : spec?.containers) ?? [];
    const actualImage = list.find((container) => container.name === patch.container)?.image ?? "";
    if (actualImage !== patch.expectedImage) {
      return { container: patch.container, init: patch.init, expectedImage: patch.expectedImage, actualImage };
    }
  }
  return undefined;
}

function containerIndex(spec: V1PodSpec | undefined, name: string, init: boolean): number {
  return ((init ? spec?.initContainers : spec?.containers) ?? []).findIndex((container) => container.name === name);
}
