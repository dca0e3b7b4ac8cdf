import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { migrationJobName } from "../../../src/core/domain/migration-job-name.js";
import type { WorkloadKind, WorkloadRef } from "../../../src/core/domain/workload.js";

/** A DNS-1123 label, as the Job controller needs it for the `job-name` label of the Job's pods. */
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function expectValidLabel(name: string): void {
  expect(name).toMatch(dns1123Label);
  expect(name.length).toBeLessThanOrEqual(63);
}

const job = (name: string, namespace = "shop", kind: WorkloadKind = "Job"): WorkloadRef => ({ kind, namespace, name });
const updateId = "3f2c0d4e-8a1b-4c5d-9e6f-0a1b2c3d4e5f";

/** Kubernetes object names: DNS-1123 subdomains (lowercase alphanumerics, '-' and '.'), up to 253 characters. */
const objectName = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/);
const namespaceName = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
const templateRef = fc.record({
  kind: fc.constantFrom<WorkloadKind>("Job", "CronJob"),
  namespace: namespaceName,
  name: objectName,
});

describe("migrationJobName", () => {
  it("is the template's name followed by a short hash", () => {
    const name = migrationJobName(updateId, job("web-migrate"));
    expect(name).toMatch(/^web-migrate-[0-9a-f]{8}$/);
  });

  it("is deterministic, so a resumed update finds the copy it created", () => {
    expect(migrationJobName(updateId, job("web-migrate"))).toBe(migrationJobName(updateId, job("web-migrate")));
    expect(migrationJobName(updateId, job("web-migrate"))).toBe(migrationJobName(String(updateId), { ...job("web-migrate") }));
  });

  it("differs per update, so two updates never share a Job", () => {
    const names = new Set(
      ["u1", "u2", updateId, "3f2c0d4e-8a1b-4c5d-9e6f-0a1b2c3d4e5e"].map((id) => migrationJobName(id, job("web-migrate"))),
    );
    expect(names.size).toBe(4);
  });

  it("differs per template: by name, by namespace, and by kind", () => {
    const names = [
      migrationJobName(updateId, job("web-migrate")),
      migrationJobName(updateId, job("web-migrate", "other")),
      migrationJobName(updateId, job("web-migrate", "shop", "CronJob")),
      migrationJobName(updateId, job("db-migrate")),
    ];
    expect(new Set(names).size).toBe(names.length);
  });

  it("tells apart templates whose names only differ in characters a label cannot hold", () => {
    const dotted = migrationJobName(updateId, job("web.migrate"));
    const dashed = migrationJobName(updateId, job("web-migrate"));
    expect(dotted).toMatch(/^web-migrate-[0-9a-f]{8}$/);
    expect(dotted).not.toBe(dashed);
    expectValidLabel(dotted);
  });

  it("keeps a 63-character template name within 63 characters, as a valid label", () => {
    const longName = `migrate-${"x".repeat(55)}`;
    expect(longName).toHaveLength(63);
    const name = migrationJobName(updateId, job(longName));
    expectValidLabel(name);
    expect(name).toHaveLength(63);
    expect(name.startsWith(longName.slice(0, 54))).toBe(true);
  });

  it("tells apart long template names that share their first 54 characters", () => {
    const prefix = "m".repeat(54);
    const a = migrationJobName(updateId, job(`${prefix}-one`));
    const b = migrationJobName(updateId, job(`${prefix}-two`));
    expect(a).not.toBe(b);
    expectValidLabel(a);
    expectValidLabel(b);
  });

  it("never ends the name part with a dash or dot where the name is cut", () => {
    // The 54th character is a '-': cut there, the label would get "--".
    const name = migrationJobName(updateId, job(`${"a".repeat(53)}-${"b".repeat(9)}`));
    expect(name).toMatch(/^a{53}-[0-9a-f]{8}$/);
    expectValidLabel(name);
  });

  it("falls back to a generic name when nothing of the template's name is usable", () => {
    expect(migrationJobName(updateId, job("..."))).toMatch(/^migration-[0-9a-f]{8}$/);
  });

  it("is deterministic, a valid label of at most 63 characters, and distinct per update and per template (property)", () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), templateRef, templateRef, (id1, id2, t1, t2) => {
        const name = migrationJobName(id1, t1);
        expectValidLabel(name);
        expect(migrationJobName(id1, { ...t1 })).toBe(name);
        if (id1 !== id2) expect(migrationJobName(id2, t1)).not.toBe(name);
        const sameTemplate = t1.kind === t2.kind && t1.namespace === t2.namespace && t1.name === t2.name;
        if (!sameTemplate) expect(migrationJobName(id1, t2)).not.toBe(name);
      }),
      { numRuns: 500 },
    );
  });

  it("handles template names of exactly 63 characters (property)", () => {
    fc.assert(
      fc.property(fc.uuid(), fc.stringMatching(/^[a-z0-9][-a-z0-9.]{61}[a-z0-9]$/), namespaceName, (id, name, namespace) => {
        expect(name).toHaveLength(63);
        const jobName = migrationJobName(id, job(name, namespace));
        expectValidLabel(jobName);
        expect(migrationJobName(id, job(name, namespace))).toBe(jobName);
      }),
      { numRuns: 300 },
    );
  });
});
