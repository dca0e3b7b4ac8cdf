import type { V1CronJob, V1Job } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { buildMigrationJob } from "../../../src/cluster/kubernetes/migration-job.js";
import { DomainError } from "../../../src/core/domain/domain-error.js";
import type { MigrationJobRequest } from "../../../src/core/ports/cluster.js";

/** A suspended template Job as a 1.27 API server returns it: selector and labels generated for its uid. */
const template: V1Job = {
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: {
    name: "migrate",
    namespace: "shop",
    uid: "b7e1",
    resourceVersion: "77",
    labels: { "update-manager.io/classifier": "backend" },
    annotations: { "xcnt.io/update-classifier": "backend" },
    ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: "c" }],
  },
  spec: {
    suspend: true,
    backoffLimit: 2,
    ttlSecondsAfterFinished: 60,
    activeDeadlineSeconds: 100,
    manualSelector: false,
    selector: { matchLabels: { "controller-uid": "b7e1" } },
    template: {
      metadata: {
        labels: {
          app: "migrate",
          "controller-uid": "b7e1",
          "job-name": "migrate",
          "batch.kubernetes.io/controller-uid": "b7e1",
          "batch.kubernetes.io/job-name": "migrate",
        },
        annotations: { "sidecar.istio.io/inject": "false" },
      },
      spec: {
        restartPolicy: "Never",
        initContainers: [{ name: "wait-db", image: "busybox:1.36" }],
        containers: [
          { name: "migrate", image: "registry.example.com/shop/web:1.4.0", args: ["migrate"] },
          { name: "logs", image: "fluent-bit:3" },
        ],
      },
    },
  },
  status: { conditions: [{ type: "Suspended", status: "True" }] },
};

const request: MigrationJobRequest = {
  template: { kind: "Job", namespace: "shop", name: "migrate" },
  jobName: "migrate-3kx9q",
  images: [{ container: "migrate", init: false, image: "registry.example.com/shop/web:1.5.0" }],
  activeDeadlineSeconds: 900,
  labels: { "update-manager.io/update-id": "u-1", "update-manager.io/migration-of": "migrate" },
};

describe("buildMigrationJob", () => {
  it("copies a Job template: new image in the named container only, running, bounded, fresh selector, no TTL, no owner", () => {
    expect(buildMigrationJob("Job", template, request)).toEqual({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: "migrate-3kx9q",
        namespace: "shop",
        labels: { "update-manager.io/update-id": "u-1", "update-manager.io/migration-of": "migrate" },
      },
      spec: {
        suspend: false,
        backoffLimit: 2,
        activeDeadlineSeconds: 900,
        template: {
          metadata: { labels: { app: "migrate" }, annotations: { "sidecar.istio.io/inject": "false" } },
          spec: {
            restartPolicy: "Never",
            initContainers: [{ name: "wait-db", image: "busybox:1.36" }],
            containers: [
              { name: "migrate", image: "registry.example.com/shop/web:1.5.0", args: ["migrate"] },
              { name: "logs", image: "fluent-bit:3" },
            ],
          },
        },
      },
    });
  });

  it("lets a copy of a template held with parallelism 0 run with the default parallelism", () => {
    const held: V1Job = { ...template, spec: { ...template.spec!, suspend: undefined, parallelism: 0 } };
    const copy = buildMigrationJob("Job", held, request);
    expect(copy.spec?.parallelism).toBeUndefined();
    expect(copy.spec?.suspend).toBe(false);
  });

  it("leaves the cached template untouched", () => {
    const before = JSON.stringify(template);
    buildMigrationJob("Job", template, request);
    expect(JSON.stringify(template)).toBe(before);
  });

  it("copies a CronJob's job template", () => {
    const cronJob: V1CronJob = {
      metadata: { name: "nightly", namespace: "shop" },
      spec: {
        schedule: "0 3 * * *",
        suspend: true,
        jobTemplate: {
          spec: {
            template: {
              spec: {
                restartPolicy: "OnFailure",
                initContainers: [{ name: "prepare", image: "web:1" }],
                containers: [{ name: "run", image: "web:1" }],
              },
            },
          },
        },
      },
    };
    const copy = buildMigrationJob("CronJob", cronJob, {
      ...request,
      template: { kind: "CronJob", namespace: "shop", name: "nightly" },
      images: [{ container: "prepare", init: true, image: "web:2" }],
    });
    expect(copy.spec?.suspend).toBe(false);
    expect(copy.spec?.template.spec?.initContainers).toEqual([{ name: "prepare", image: "web:2" }]);
    expect(copy.spec?.template.spec?.containers).toEqual([{ name: "run", image: "web:1" }]);
  });

  it("refuses a template that lost a container named in the request", () => {
    const build = () =>
      buildMigrationJob("Job", template, { ...request, images: [{ container: "gone", init: false, image: "web:2" }] });
    expect(build).toThrow(DomainError);
    expect(build).toThrow(/has no container "gone" any more/);
  });
});
