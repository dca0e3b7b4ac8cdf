import { createHash } from "node:crypto";
import {
  formatImageReference,
  repositoryName,
  tryParseImageReference,
} from "../../core/domain/image-reference.js";
import type { PodProblem } from "../../core/domain/workload.js";

/**
 * How pods of an image misbehave:
 * - "crash-loop": the container starts and exits; CrashLoopBackOff, never ready.
 * - "image-pull": the image cannot be pulled; ErrImagePull, then ImagePullBackOff, never ready.
 * - "unready": runs but its readiness probe never passes; no waiting reason at all, which only a
 *   progress deadline or the update's own timeout catches.
 */
export type ImageFailureMode = "crash-loop" | "image-pull" | "unready";

/**
 * Which images fail: an image reference (compared after normalisation, so `nginx:1` matches
 * `docker.io/library/nginx:1`), a regular expression tested against the image as written in the
 * pod template, or a predicate.
 */
export type ImageMatcher = string | RegExp | ((image: string) => boolean);

export function compileImageMatcher(matcher: ImageMatcher): (image: string) => boolean {
  if (typeof matcher === "function") return matcher;
  if (matcher instanceof RegExp) {
    // A /g or /y expression keeps state between test() calls; use a stateless copy.
    const pattern = new RegExp(matcher.source, matcher.flags.replace(/[gy]/g, ""));
    return (image) => pattern.test(image);
  }
  const wanted = normaliseImage(matcher);
  return (image) => normaliseImage(image) === wanted;
}

function normaliseImage(image: string): string {
  const ref = tryParseImageReference(image);
  return ref === undefined ? image : formatImageReference(ref);
}

/** The image ID a node reports for a pulled image: `repository@sha256:…` (a stable fake digest unless pinned). */
export function imageIdOf(image: string): string {
  const ref = tryParseImageReference(image);
  const digest = ref?.digest ?? `sha256:${createHash("sha256").update(image).digest("hex")}`;
  return `${ref === undefined ? image : repositoryName(ref)}@${digest}`;
}

/** What the kubelet reports for a container of `mode` right after the pod starts. */
export function initialProblem(
  mode: ImageFailureMode,
  pod: string,
  namespace: string,
  container: string,
  image: string,
): PodProblem | undefined {
  switch (mode) {
    case "crash-loop":
      return {
        pod,
        container,
        reason: "CrashLoopBackOff",
        message: `back-off 10s restarting failed container=${container} pod=${pod}_${namespace}`,
        restartCount: 1,
        imageId: imageIdOf(image),
      };
    case "image-pull":
      return {
        pod,
        container,
        reason: "ErrImagePull",
        message: `failed to pull and unpack image "${image}": not found`,
        restartCount: 0,
      };
    default:
      return undefined;
  }
}

/** What the kubelet reports after it has retried for a while, or undefined when nothing changes. */
export function laterProblem(problem: PodProblem, image: string): PodProblem | undefined {
  if (problem.reason === "ErrImagePull") {
    return { ...problem, reason: "ImagePullBackOff", message: `Back-off pulling image "${image}"` };
  }
  return undefined;
}
