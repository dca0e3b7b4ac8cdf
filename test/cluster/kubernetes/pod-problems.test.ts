import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { podProblemsOf, sameProblems } from "../../../src/cluster/kubernetes/pod-problems.js";
import type { ContainerSpec } from "../../../src/core/domain/workload.js";

const template: ContainerSpec[] = [
  { name: "setup", image: "web:2", init: true },
  { name: "web", image: "web:2", init: false },
];

function pod(name: string, image: string, statuses: V1ContainerStatus[], deleting = false): V1Pod {
  return {
    metadata: { name, namespace: "shop", ...(deleting ? { deletionTimestamp: new Date() } : {}) },
    spec: { initContainers: [{ name: "setup", image }], containers: [{ name: "web", image }] },
    status: { containerStatuses: statuses },
  };
}

const crashLooping: V1ContainerStatus = {
  name: "web",
  image: "web:2",
  imageID: "docker-pullable://web@sha256:abc",
  ready: false,
  restartCount: 4,
  state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container" } },
};

describe("podProblemsOf", () => {
  it("reports waiting reasons of pods of the newest revision with restarts and image ID", () => {
    expect(podProblemsOf([pod("web-new-1", "web:2", [crashLooping])], template)).toEqual([
      {
        pod: "web-new-1",
        container: "web",
        reason: "CrashLoopBackOff",
        message: "back-off 40s restarting failed container",
        restartCount: 4,
        imageId: "docker-pullable://web@sha256:abc",
      },
    ]);
  });

  it("ignores pods of older revisions, pods being deleted, and normal start-up states", () => {
    const creating: V1ContainerStatus = { name: "web", image: "web:2", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } };
    expect(
      podProblemsOf(
        [
          pod("web-old-1", "web:1", [{ ...crashLooping, image: "web:1" }]),
          pod("web-new-gone", "web:2", [crashLooping], true),
          pod("web-new-2", "web:2", [creating]),
        ],
        template,
      ),
    ).toEqual([]);
  });

  it("reports an image pull failure without an image ID (nothing was pulled)", () => {
    const pulling: V1ContainerStatus = {
      name: "web",
      image: "web:2",
      imageID: "",
      ready: false,
      restartCount: 0,
      state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "web:2"' } },
    };
    expect(podProblemsOf([pod("web-new-1", "web:2", [pulling])], template)).toEqual([
      { pod: "web-new-1", container: "web", reason: "ImagePullBackOff", message: 'Back-off pulling image "web:2"', restartCount: 0 },
    ]);
  });

  it("orders problems by pod name so equal states compare equal", () => {
    const a = podProblemsOf([pod("b", "web:2", [crashLooping]), pod("a", "web:2", [crashLooping])], template);
    const b = podProblemsOf([pod("a", "web:2", [crashLooping]), pod("b", "web:2", [crashLooping])], template);
    expect(a.map((problem) => problem.pod)).toEqual(["a", "b"]);
    expect(sameProblems(a, b)).toBe(true);
    expect(sameProblems(a, a.slice(1))).toBe(false);
  });
});
