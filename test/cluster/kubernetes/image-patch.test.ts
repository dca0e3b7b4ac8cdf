import type { V1CronJob, V1Deployment } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { buildImagePatch, findImageMismatch } from "../../../src/cluster/kubernetes/image-patch.js";

const deployment: V1Deployment = {
  metadata: { name: "web", namespace: "shop" },
  spec: {
    selector: {},
    template: {
      spec: {
        initContainers: [{ name: "setup", image: "setup:1" }],
        containers: [
          { name: "proxy", image: "envoy:1" },
          { name: "web", image: "web:1" },
        ],
      },
    },
  },
};

describe("buildImagePatch", () => {
  it("tests name and expected image of each container at its index before replacing the image", () => {
    expect(
      buildImagePatch("Deployment", deployment, [
        { container: "web", init: false, expectedImage: "web:1", newImage: "web:2" },
        { container: "setup", init: true, expectedImage: "setup:1", newImage: "setup:2" },
      ]),
    ).toEqual([
      { op: "test", path: "/spec/template/spec/containers/1/name", value: "web" },
      { op: "test", path: "/spec/template/spec/containers/1/image", value: "web:1" },
      { op: "replace", path: "/spec/template/spec/containers/1/image", value: "web:2" },
      { op: "test", path: "/spec/template/spec/initContainers/0/name", value: "setup" },
      { op: "test", path: "/spec/template/spec/initContainers/0/image", value: "setup:1" },
      { op: "replace", path: "/spec/template/spec/initContainers/0/image", value: "setup:2" },
    ]);
  });

  it("addresses a CronJob's containers inside its job template", () => {
    const cronJob: V1CronJob = {
      metadata: { name: "report", namespace: "shop" },
      spec: { schedule: "@daily", jobTemplate: { spec: { template: { spec: { containers: [{ name: "report", image: "r:1" }] } } } } },
    };
    expect(buildImagePatch("CronJob", cronJob, [{ container: "report", init: false, expectedImage: "r:1", newImage: "r:2" }])).toEqual([
      { op: "test", path: "/spec/jobTemplate/spec/template/spec/containers/0/name", value: "report" },
      { op: "test", path: "/spec/jobTemplate/spec/template/spec/containers/0/image", value: "r:1" },
      { op: "replace", path: "/spec/jobTemplate/spec/template/spec/containers/0/image", value: "r:2" },
    ]);
  });

  it("tests the expected image even when the cached copy shows another one (the server decides)", () => {
    const ops = buildImagePatch("Deployment", deployment, [{ container: "web", init: false, expectedImage: "web:0", newImage: "web:2" }]);
    expect(ops?.[1]).toEqual({ op: "test", path: "/spec/template/spec/containers/1/image", value: "web:0" });
  });

  it("gives nothing to send when a container is not there, or is an init container only under the other list", () => {
    expect(buildImagePatch("Deployment", deployment, [{ container: "gone", init: false, expectedImage: "x", newImage: "y" }])).toBeUndefined();
    expect(buildImagePatch("Deployment", deployment, [{ container: "setup", init: false, expectedImage: "setup:1", newImage: "y" }])).toBeUndefined();
  });
});

describe("findImageMismatch", () => {
  it("names the first container that does not run its expected image", () => {
    expect(
      findImageMismatch("Deployment", deployment, [
        { container: "web", init: false, expectedImage: "web:1", newImage: "web:2" },
        { container: "proxy", init: false, expectedImage: "envoy:0", newImage: "envoy:2" },
      ]),
    ).toEqual({ container: "proxy", init: false, expectedImage: "envoy:0", actualImage: "envoy:1" });
  });

  it("reports a missing container with an empty actual image, and nothing when all match", () => {
    expect(findImageMismatch("Deployment", deployment, [{ container: "gone", init: false, expectedImage: "x", newImage: "y" }])).toEqual({
      container: "gone",
      init: false,
      expectedImage: "x",
      actualImage: "",
    });
    expect(findImageMismatch("Deployment", deployment, [{ container: "setup", init: true, expectedImage: "setup:1", newImage: "y" }])).toBeUndefined();
  });
});
