import { describe, expect, it } from "vitest";
import { isMigrationTemplate, templateWarnings } from "../../../src/core/domain/migration-template.js";
import type { WorkloadKind } from "../../../src/core/domain/workload.js";
import { aWorkload } from "../../support/workloads.js";

describe("isMigrationTemplate", () => {
  it("takes every Job as a template, suspended or not", () => {
    expect(isMigrationTemplate(aWorkload("Job", { suspended: true }))).toBe(true);
    expect(isMigrationTemplate(aWorkload("Job", { suspended: false }))).toBe(true);
  });

  it("takes a suspended CronJob as a template, and an active one as a workload to update", () => {
    expect(isMigrationTemplate(aWorkload("CronJob", { suspended: true }))).toBe(true);
    expect(isMigrationTemplate(aWorkload("CronJob", { suspended: false }))).toBe(false);
    const { suspended: _suspended, ...unsetSuspend } = aWorkload("CronJob");
    expect(isMigrationTemplate(unsetSuspend)).toBe(false);
  });

  it.each<WorkloadKind>(["Deployment", "StatefulSet", "DaemonSet"])("never takes a %s as a template", (kind) => {
    expect(isMigrationTemplate(aWorkload(kind))).toBe(false);
    // Even if something odd set `suspended` on it.
    expect(isMigrationTemplate({ ...aWorkload(kind), suspended: true })).toBe(false);
  });
});

describe("templateWarnings", () => {
  it("warns about a Job template that is not suspended, naming it and saying how to fix it", () => {
    const warnings = templateWarnings(aWorkload("Job", { namespace: "shop", name: "web-migrate", suspended: false }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("Job shop/web-migrate is not suspended");
    expect(warnings[0]).toContain("spec.suspend: true");
  });

  it("warns about a Job whose suspend field is unset, since Kubernetes then runs it", () => {
    const { suspended: _suspended, ...unsetSuspend } = aWorkload("Job", { namespace: "shop", name: "m" });
    expect(templateWarnings(unsetSuspend)).toEqual([expect.stringContaining("Job shop/m is not suspended")]);
  });

  it("says nothing about a suspended Job or CronJob template", () => {
    expect(templateWarnings(aWorkload("Job", { suspended: true }))).toEqual([]);
    expect(templateWarnings(aWorkload("CronJob", { suspended: true }))).toEqual([]);
  });

  it.each<WorkloadKind>(["Deployment", "StatefulSet", "DaemonSet", "CronJob"])("says nothing about a %s", (kind) => {
    expect(templateWarnings(aWorkload(kind))).toEqual([]);
  });
});
