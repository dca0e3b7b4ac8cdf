import { describe, expect, it } from "vitest";
import { isDomainError } from "../../src/core/domain/domain-error.js";
import { emptyNodePlanStatus } from "../../src/core/domain/node-plan/node-plan-status.js";
import { parseNodePlan } from "../../src/core/domain/node-plan/parse-node-plan.js";
import { buildUpgradeJob } from "../../src/core/domain/node-plan/upgrade-job.js";
import type { NodePlansPort } from "../../src/core/ports/node-plans.js";

/** What an implementation of NodePlansPort provides to run the contract. */
export interface NodePlansHarness {
  readonly port: NodePlansPort;
  /** The namespace the port's plans and Jobs live in. */
  readonly namespace: string;
  /** A node the port knows. */
  readonly node: string;
  /** Creates a plan and waits until the port's cache holds it. */
  createPlan(name: string, spec: unknown): Promise<void>;
  /** Waits until `check` holds for what the port's caches show (a real cache follows its watch). */
  eventually(check: () => boolean): Promise<void>;
}

const spec = { version: "v1", upgrade: { image: "example/contract-upgrader" } };

/** NodePlansPort, held alike by the tests' in-memory fake (unit tier) and the Kubernetes adapter (kube tier). */
export function describeNodePlansPortContract(name: string, setup: () => Promise<NodePlansHarness>): void {
  describe(`NodePlansPort contract: ${name}`, () => {
    it("writes a plan's status with its resourceVersion, and reads it back at once", async () => {
      const h = await setup();
      await h.createPlan("contract-status", spec);
      const plan = h.port.getPlan("contract-status")!;
      expect(plan.status).toEqual(emptyNodePlanStatus);
      expect(plan.spec).toEqual(spec);
      const status = { ...emptyNodePlanStatus, observedGeneration: plan.generation, latestVersion: "v1", applying: [h.node] };
      const written = await h.port.writeStatus("contract-status", plan.resourceVersion, status);
      expect(written.status).toEqual(status);
      expect(h.port.getPlan("contract-status")?.status).toEqual(status);
    });

    it("refuses a status write with a stale resourceVersion as aborted, changing nothing", async () => {
      const h = await setup();
      await h.createPlan("contract-stale", spec);
      const plan = h.port.getPlan("contract-stale")!;
      await h.port.writeStatus("contract-stale", plan.resourceVersion, { ...emptyNodePlanStatus, latestVersion: "first" });
      const refused = await h.port.writeStatus("contract-stale", plan.resourceVersion, { ...emptyNodePlanStatus, latestVersion: "second" }).catch((error: unknown) => error);
      expect(isDomainError(refused, "aborted")).toBe(true);
      expect(h.port.getPlan("contract-stale")?.status.latestVersion).toBe("first");
    });

    it("adds and removes the finalizer", async () => {
      const h = await setup();
      await h.createPlan("contract-finalizer", spec);
      await h.port.setFinalizer("contract-finalizer", true);
      await h.eventually(() => h.port.getPlan("contract-finalizer")?.finalized === true);
      await h.port.setFinalizer("contract-finalizer", false);
      await h.eventually(() => h.port.getPlan("contract-finalizer")?.finalized === false);
    });

    it("creates an upgrade Job once (a second create is no error) and lists it by plan", async () => {
      const h = await setup();
      const parsed = parseNodePlan("contract-job", spec);
      if (!parsed.valid) throw new Error(parsed.message);
      const manifest = buildUpgradeJob({ planName: "contract-job", namespace: h.namespace, spec: parsed.spec, nodeName: h.node, latestVersion: "v1", latestHash: "abc", keyPrefix: "update-manager.io" });
      expect(await h.port.createJob(manifest)).toEqual({ created: true });
      expect(await h.port.createJob(manifest)).toEqual({ created: false });
      await h.eventually(() => h.port.listJobs("contract-job").includes(manifest.metadata.name) && h.port.getJob(manifest.metadata.name) !== undefined);
      await h.port.deleteJob(manifest.metadata.name);
      await h.port.deleteJob(manifest.metadata.name); // gone already: no error
      await h.eventually(() => h.port.getJob(manifest.metadata.name) === undefined);
    });

    it("answers gone for evicting a pod that does not exist, and undefined for an unknown Secret", async () => {
      const h = await setup();
      const pod = { namespace: h.namespace, name: "no-such-pod", controllerKind: "ReplicaSet", mirror: false, usesEmptyDir: false, labels: {}, deletionTime: undefined, finished: false };
      expect(await h.port.evictPod(pod, { deleteInstead: false })).toBe("gone");
      expect(await h.port.secretDigest("no-such-secret")).toBeUndefined();
    });

    it("cordons, labels and uncordons a node", async () => {
      const h = await setup();
      await h.port.setUnschedulable(h.node, true);
      await h.eventually(() => h.port.getNode(h.node)?.unschedulable === true);
      await h.port.labelNode(h.node, "plan.update-manager.io/contract", "abc");
      await h.eventually(() => h.port.getNode(h.node)?.labels["plan.update-manager.io/contract"] === "abc");
      await h.port.setUnschedulable(h.node, false);
      await h.eventually(() => h.port.getNode(h.node)?.unschedulable === false);
    });
  });
}
