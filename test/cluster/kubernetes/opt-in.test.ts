import { describe, expect, it } from "vitest";
import { isOptedIn, workloadLabelSelector } from "../../../src/cluster/kubernetes/opt-in.js";
import { createMetadataKeys } from "../../../src/core/domain/metadata-keys.js";

const keys = createMetadataKeys();

describe("isOptedIn", () => {
  it("takes the classifier label in any mode and the legacy annotation only in legacy mode", () => {
    const labelled = { metadata: { labels: { [keys.classifierLabel]: "backend" } } };
    const annotated = { metadata: { annotations: { [keys.legacyClassifierAnnotation]: "backend" } } };
    expect(isOptedIn(labelled, keys, false)).toBe(true);
    expect(isOptedIn(annotated, keys, true)).toBe(true);
    expect(isOptedIn(annotated, keys, false)).toBe(false);
    expect(isOptedIn({ metadata: { labels: { app: "web" } } }, keys, true)).toBe(false);
  });

  it("never takes a migration copy or a Job a CronJob started, even if they carry the opt-in", () => {
    const copy = { metadata: { labels: { [keys.classifierLabel]: "backend", [keys.updateIdLabel]: "u1" } } };
    const run = {
      metadata: {
        labels: { [keys.classifierLabel]: "backend" },
        ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "nightly", uid: "c" }],
      },
    };
    expect(isOptedIn(copy, keys, true)).toBe(false);
    expect(isOptedIn(run, keys, true)).toBe(false);
  });
});

describe("workloadLabelSelector", () => {
  it("selects on the classifier label server-side unless annotations must be read too", () => {
    expect(workloadLabelSelector(keys, false)).toBe("update-manager.io/classifier");
    expect(workloadLabelSelector(keys, true)).toBeUndefined();
  });
});
