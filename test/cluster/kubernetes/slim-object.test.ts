import { describe, expect, it } from "vitest";
import { slimObject } from "../../../src/cluster/kubernetes/slim-object.js";
import { fieldManagersOf } from "../../../src/cluster/kubernetes/to-workload.js";

describe("slimObject", () => {
  it("drops managedFields' field sets and kubectl's last-applied copy, keeping the managers and other annotations", () => {
    const object = {
      metadata: {
        name: "web",
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{\"big\":true}", "team": "shop" },
        managedFields: [
          { manager: "kubectl", operation: "Update", time: new Date(0), fieldsV1: { "f:spec": {} } },
          { manager: "update-manager", operation: "Update", fieldsV1: { "f:spec": { "f:template": {} } } },
        ],
      },
      spec: { replicas: 2 },
    };
    slimObject(object);
    expect(object.metadata.annotations).toEqual({ team: "shop" });
    expect(object.metadata.managedFields).toEqual([
      { manager: "kubectl", operation: "Update", time: new Date(0) },
      { manager: "update-manager", operation: "Update" },
    ]);
    expect(fieldManagersOf(object.metadata)).toEqual(["kubectl", "update-manager"]);
    expect(object.spec).toEqual({ replicas: 2 });
  });

  it("leaves an object without metadata alone", () => {
    const object = { kind: "Deployment" };
    slimObject(object);
    expect(object).toEqual({ kind: "Deployment" });
  });
});
