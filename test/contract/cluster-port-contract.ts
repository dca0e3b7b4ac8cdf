import { afterEach, describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/domain/domain-error.js";
import { judgeRollout } from "../../src/core/domain/judge-rollout.js";
import type { MetadataKeys } from "../../src/core/domain/metadata-keys.js";
import type { ContainerSpec, PodProblem, Workload, WorkloadKind, WorkloadRef } from "../../src/core/domain/workload.js";
import { sameWorkload } from "../../src/core/domain/workload.js";
import type { ClusterChange, ClusterPort } from "../../src/core/ports/cluster.js";

/** How the suite wants the port under test configured. */
export interface ContractSetupOptions {
  /** Whether the port honours the legacy `xcnt.io/update-classifier` annotation. */
  readonly legacyAnnotation: boolean;
}

/** An object the suite asks the harness to create in its namespace. */
export interface ContractObjectSpec {
  readonly kind: WorkloadKind;
  readonly name: string;
  /** Default: none (then the object has not opted in unless an annotation opts it in). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Default: none. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Init containers flagged `init: true`. */
  readonly containers: readonly ContainerSpec[];
  /** Deployment/StatefulSet replicas. Default: 1. A Job is created suspended (a migration template). */
  readonly replicas?: number;
}

/**
 * What a ClusterPort adapter provides to run the contract. The simulated cluster implements it on a
 * fake clock; a Kubernetes adapter implements it against a real API server, with a fake kubelet
 * running the pods (test/support/fake-kubelet.ts), a fresh namespace per harness, and event-driven
 * waiting.
 */
export interface ContractHarness {
  /** The port under test, started (its caches synced). */
  readonly cluster: ClusterPort;
  /** The keys the port was configured with. */
  readonly keys: MetadataKeys;
  /** Where seeded objects live; no other test uses it. */
  readonly namespace: string;
  /**
   * Creates the object in `namespace`, fully rolled out where it has a rollout. Resolves once the
   * API server has it; the port's cache may see it later (use settle).
   */
  seed(spec: ContractObjectSpec): Promise<WorkloadRef>;
  /** From now on, Job pods running `image` end in failure (so their Job reaches Failed). */
  failJobsRunning(image: string): Promise<void>;
  /** From now on, pods running `image` crash-loop: Running, never ready, `CrashLoopBackOff`, restarts growing. */
  crashLoopPodsRunning(image: string): Promise<void>;
  /**
   * Resolves once `predicate` holds, letting the cluster progress meanwhile: a fake advances its
   * clock, a real cluster waits for the port's events. Rejects after `timeoutMs` of cluster time.
   */
  settle(predicate: () => boolean, timeoutMs: number): Promise<void>;
  /** Releases everything the harness made. */
  teardown(): Promise<void>;
}

const settleTimeoutMs = 60_000;
const image1 = "registry.example.com/contract/app:1.0.0";
const image2 = "registry.example.com/contract/app:2.0.0";
const sidecarImage = "registry.example.com/contract/sidecar:5.1.0";
const initImage = "registry.example.com/contract/init:1.0.0";

/**
 * Registers the tests every ClusterPort adapter must pass.
 *
 * @param setup builds a fresh harness per test, configured as asked.
 */
export function describeClusterPortContract(
  name: string,
  setup: (options: ContractSetupOptions) => Promise<ContractHarness>,
): void {
  describe(`ClusterPort contract: ${name}`, () => {
    let harness: ContractHarness | undefined;
    const open = async (options: ContractSetupOptions = { legacyAnnotation: true }) => {
      harness = await setup(options);
      return harness;
    };
    afterEach(async () => {
      await harness?.teardown();
      harness = undefined;
    });

    const optIn = (h: ContractHarness, classifier = "contract") => ({ [h.keys.classifierLabel]: classifier });
    const legacyOptIn = (h: ContractHarness) => ({ [h.keys.legacyClassifierAnnotation]: "contract" });

    async function seedVisible(h: ContractHarness, spec: ContractObjectSpec): Promise<Workload> {
      const ref = await h.seed(spec);
      await h.settle(() => h.cluster.getWorkload(ref) !== undefined, settleTimeoutMs);
      return h.cluster.getWorkload(ref)!;
    }

    function imagesOf(workload: Workload | undefined): Record<string, string> {
      return Object.fromEntries((workload?.containers ?? []).map((c) => [`${c.init ? "init:" : ""}${c.name}`, c.image]));
    }

    it("is synced once set up", async () => {
      const h = await open();
      expect(h.cluster.isSynced()).toBe(true);
    });

    it("lists objects that opted in with the classifier label or the legacy annotation, and nothing else", async () => {
      const h = await open({ legacyAnnotation: true });
      const containers = [{ name: "app", image: image1, init: false }];
      // Seeded last: once it is visible, the cache has processed the others (one watch per kind, in order).
      await h.seed({ kind: "Deployment", name: "not-opted-in", labels: { app: "x" }, containers });
      await h.seed({ kind: "Deployment", name: "legacy", annotations: legacyOptIn(h), containers });
      const labelled = await seedVisible(h, { kind: "Deployment", name: "labelled", labels: optIn(h), containers });

      const names = h.cluster
        .listWorkloads()
        .filter((w) => w.ref.namespace === h.namespace)
        .map((w) => w.ref.name)
        .sort();
      expect(names).toEqual(["labelled", "legacy"]);
      expect(h.cluster.getWorkload({ kind: "Deployment", namespace: h.namespace, name: "not-opted-in" })).toBeUndefined();
      expect(labelled.labels[h.keys.classifierLabel]).toBe("contract");
      expect(imagesOf(labelled)).toEqual({ app: image1 });
    });

    it("ignores the legacy annotation when legacy mode is off", async () => {
      const h = await open({ legacyAnnotation: false });
      const containers = [{ name: "app", image: image1, init: false }];
      await h.seed({ kind: "Deployment", name: "legacy", annotations: legacyOptIn(h), containers });
      await seedVisible(h, { kind: "Deployment", name: "labelled", labels: optIn(h), containers });
      const names = h.cluster
        .listWorkloads()
        .filter((w) => w.ref.namespace === h.namespace)
        .map((w) => w.ref.name);
      expect(names).toEqual(["labelled"]);
    });

    it("lists the opted-in workloads using a repository (init containers and templates included) as their images change", async () => {
      const h = await open();
      const appRepository = "registry.example.com/contract/app";
      const otherImage = "registry.example.com/contract/other:1.0.0";
      const app = [{ name: "app", image: image1, init: false }];
      await h.seed({ kind: "Deployment", name: "not-opted-in", labels: { app: "x" }, containers: app });
      await h.seed({ kind: "Deployment", name: "admin", labels: optIn(h), containers: [{ name: "app", image: "registry.example.com/contract/app-admin:1.0.0", init: false }] });
      await h.seed({ kind: "Job", name: "migrate", labels: optIn(h), containers: app });
      await h.seed({
        kind: "Deployment",
        name: "init-only",
        labels: optIn(h),
        containers: [
          { name: "setup", image: image1, init: true },
          { name: "sidecar", image: sidecarImage, init: false },
        ],
      });
      const web = await seedVisible(h, { kind: "Deployment", name: "web", labels: optIn(h), containers: app });
      const using = (repository: string) =>
        h.cluster
          .listWorkloadsUsing(repository)
          .filter((w) => w.ref.namespace === h.namespace)
          .map((w) => w.ref.name)
          .sort();

      expect(using(appRepository)).toEqual(["init-only", "migrate", "web"]);
      expect(using("registry.example.com/contract/sidecar")).toEqual(["init-only"]);

      await h.cluster.patchImages(web.ref, [{ container: "app", init: false, expectedImage: image1, newImage: otherImage }]);
      await h.settle(() => using("registry.example.com/contract/other").includes("web"), settleTimeoutMs);
      expect(using(appRepository)).toEqual(["init-only", "migrate"]);
    });

    it("patches only the named container and leaves the others as they are", async () => {
      const h = await open();
      const before = await seedVisible(h, {
        kind: "Deployment",
        name: "web",
        labels: optIn(h),
        containers: [
          { name: "app", image: image1, init: false },
          { name: "sidecar", image: sidecarImage, init: false },
        ],
      });
      const returned = await h.cluster.patchImages(before.ref, [
        { container: "app", init: false, expectedImage: image1, newImage: image2 },
      ]);
      expect(imagesOf(returned)).toEqual({ app: image2, sidecar: sidecarImage });
      expect(returned.rollout.generation).toBeGreaterThan(before.rollout.generation);
      await h.settle(() => imagesOf(h.cluster.getWorkload(before.ref)).app === image2, settleTimeoutMs);
      expect(imagesOf(h.cluster.getWorkload(before.ref))).toEqual({ app: image2, sidecar: sidecarImage });
    });

    it("refuses a patch whose expected image is stale with IMAGE_CONFLICT and changes nothing", async () => {
      const h = await open();
      const before = await seedVisible(h, {
        kind: "Deployment",
        name: "web",
        labels: optIn(h),
        containers: [
          { name: "app", image: image1, init: false },
          { name: "sidecar", image: sidecarImage, init: false },
        ],
      });
      const stale = "registry.example.com/contract/sidecar:4.0.0";
      const attempt = h.cluster.patchImages(before.ref, [
        { container: "app", init: false, expectedImage: image1, newImage: image2 },
        { container: "sidecar", init: false, expectedImage: stale, newImage: "registry.example.com/contract/sidecar:6.0.0" },
      ]);
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({
        code: "aborted",
        reason: "IMAGE_CONFLICT",
        metadata: { container: "sidecar", expected_image: stale, actual_image: sidecarImage },
      });
      // The first patch passed its test but must not have been applied either: all or nothing.
      const after = h.cluster.getWorkload(before.ref)!;
      expect(imagesOf(after)).toEqual({ app: image1, sidecar: sidecarImage });
      expect(after.rollout.generation).toBe(before.rollout.generation);
    });

    it("refuses a patch of a container that does not exist", async () => {
      const h = await open();
      const before = await seedVisible(h, {
        kind: "Deployment",
        name: "web",
        labels: optIn(h),
        containers: [{ name: "app", image: image1, init: false }],
      });
      await expect(
        h.cluster.patchImages(before.ref, [{ container: "gone", init: false, expectedImage: image1, newImage: image2 }]),
      ).rejects.toMatchObject({ code: "aborted", reason: "IMAGE_CONFLICT", metadata: { container: "gone" } });
      expect(imagesOf(h.cluster.getWorkload(before.ref))).toEqual({ app: image1 });
    });

    it("reports a workload that does not exist as not-found", async () => {
      const h = await open();
      await expect(
        h.cluster.patchImages({ kind: "Deployment", namespace: h.namespace, name: "nowhere" }, [
          { container: "app", init: false, expectedImage: image1, newImage: image2 },
        ]),
      ).rejects.toMatchObject({ code: "not-found" });
    });

    it("patches init containers", async () => {
      const h = await open();
      const before = await seedVisible(h, {
        kind: "Deployment",
        name: "web",
        labels: optIn(h),
        containers: [
          { name: "setup", image: initImage, init: true },
          { name: "app", image: image1, init: false },
        ],
      });
      const newInit = "registry.example.com/contract/init:2.0.0";
      await h.cluster.patchImages(before.ref, [{ container: "setup", init: true, expectedImage: initImage, newImage: newInit }]);
      await h.settle(() => imagesOf(h.cluster.getWorkload(before.ref))["init:setup"] === newInit, settleTimeoutMs);
      const after = h.cluster.getWorkload(before.ref)!;
      expect(after.containers.map((c) => [c.name, c.init, c.image])).toEqual([
        ["setup", true, newInit],
        ["app", false, image1],
      ]);
    });

    it("rolls a patched Deployment out to complete and tells subscribers about the progress", async () => {
      const h = await open();
      const before = await seedVisible(h, {
        kind: "Deployment",
        name: "web",
        labels: optIn(h),
        replicas: 3,
        containers: [{ name: "app", image: image1, init: false }],
      });
      expect(judgeRollout(before).state).toBe("complete");
      const seen: Workload[] = [];
      const stop = h.cluster.subscribe((change: ClusterChange) => {
        if (change.type === "workload" && sameWorkload(change.workload.ref, before.ref)) seen.push(change.workload);
      });
      try {
        await h.cluster.patchImages(before.ref, [{ container: "app", init: false, expectedImage: image1, newImage: image2 }]);
        const rolledOut = () => {
          const now = h.cluster.getWorkload(before.ref);
          return now !== undefined && imagesOf(now).app === image2 && judgeRollout(now).state === "complete";
        };
        await h.settle(rolledOut, settleTimeoutMs);
      } finally {
        stop();
      }
      const after = h.cluster.getWorkload(before.ref)!;
      expect(judgeRollout(after)).toMatchObject({ state: "complete", desired: 3, updated: 3, available: 3 });
      // Subscribers saw the new template before it was rolled out, and the finished rollout last.
      const withNewImage = seen.filter((w) => imagesOf(w).app === image2);
      expect(withNewImage.some((w) => judgeRollout(w).state === "progressing")).toBe(true);
      expect(judgeRollout(withNewImage[withNewImage.length - 1]!).state).toBe("complete");
      expect(withNewImage[withNewImage.length - 1]!.resourceVersion).toBe(after.resourceVersion);
    });

    it("reports crash-looping pods of the new revision to watchPodProblems, and never the old revision's", async () => {
      const h = await open();
      const bad = "registry.example.com/contract/app:2.0.0-crashes";
      const before = await seedVisible(h, {
        kind: "Deployment",
        name: "web",
        labels: optIn(h),
        replicas: 2,
        containers: [{ name: "app", image: image1, init: false }],
      });
      await h.crashLoopPodsRunning(bad);
      const reports: (readonly PodProblem[])[] = [];
      let crash: PodProblem | undefined;
      let reported: () => void = () => {};
      const crashed = new Promise<void>((resolve) => {
        reported = resolve;
      });
      const stop = h.cluster.watchPodProblems(before.ref, (problems) => {
        reports.push(problems);
        crash ??= problems.find((problem) => problem.reason === "CrashLoopBackOff" && problem.restartCount > 0);
        if (crash !== undefined) reported();
      });
      try {
        await h.cluster.patchImages(before.ref, [{ container: "app", init: false, expectedImage: image1, newImage: bad }]);
        // A fake cluster moves on while settling; a real one reports pod problems without a workload change, so
        // the report itself ends the wait. Either way the wait is bounded by the settle timeout.
        await Promise.race([crashed, h.settle(() => crash !== undefined, settleTimeoutMs).catch(() => undefined)]);
      } finally {
        stop();
      }
      expect(crash).toMatchObject({ container: "app", reason: "CrashLoopBackOff" });
      expect(crash!.pod).toMatch(/^web-/);
      expect(crash!.imageId).toMatch(/registry\.example\.com\/contract\/app@sha256:[0-9a-f]{64}$/);
      // The old revision's pods run fine and were never reported.
      expect(reports.flat().every((problem) => problem.reason === "CrashLoopBackOff")).toBe(true);
      expect(judgeRollout(h.cluster.getWorkload(before.ref)!).state).toBe("progressing");
    });

    async function seedTemplate(h: ContractHarness) {
      return seedVisible(h, {
        kind: "Job",
        name: "migrate",
        labels: optIn(h),
        containers: [{ name: "migrate", image: image1, init: false }],
      });
    }

    const copyLabels = (h: ContractHarness, updateId: string) => ({
      [h.keys.updateIdLabel]: updateId,
      [h.keys.migrationOfLabel]: "migrate",
    });

    const isTrue = (job: { conditions: readonly { type: string; status: string }[] } | undefined, type: string) =>
      job?.conditions.some((c) => c.type === type && c.status === "True") === true;

    it("runs a migration Job copy to Complete", async () => {
      const h = await open();
      const template = await seedTemplate(h);
      const jobChanges: string[] = [];
      const stop = h.cluster.subscribe((change) => {
        if (change.type === "job" && change.job.name === "migrate-u1") jobChanges.push(change.job.name);
      });
      try {
        const result = await h.cluster.createMigrationJob({
          template: template.ref,
          jobName: "migrate-u1",
          images: [{ container: "migrate", init: false, image: image2 }],
          activeDeadlineSeconds: 600,
          labels: copyLabels(h, "u1"),
        });
        expect(result).toEqual({ created: true });
        await h.settle(() => isTrue(h.cluster.getJob(h.namespace, "migrate-u1"), "Complete"), settleTimeoutMs);
      } finally {
        stop();
      }
      const job = h.cluster.getJob(h.namespace, "migrate-u1")!;
      expect(job).toMatchObject({ namespace: h.namespace, name: "migrate-u1", succeeded: 1, active: 0 });
      expect(job.labels).toMatchObject(copyLabels(h, "u1"));
      expect(isTrue(job, "Failed")).toBe(false);
      expect(jobChanges.length).toBeGreaterThan(0);
      // The template itself stays as it was: only the copy runs.
      expect(h.cluster.getWorkload(template.ref)?.suspended).toBe(true);
      expect(imagesOf(h.cluster.getWorkload(template.ref))).toEqual({ migrate: image1 });
    });

    it("treats creating the same Job twice as done, without starting it twice", async () => {
      const h = await open();
      const template = await seedTemplate(h);
      const request = {
        template: template.ref,
        jobName: "migrate-u2",
        images: [{ container: "migrate", init: false, image: image2 }],
        activeDeadlineSeconds: 600,
        labels: copyLabels(h, "u2"),
      };
      expect(await h.cluster.createMigrationJob(request)).toEqual({ created: true });
      expect(await h.cluster.createMigrationJob({ ...request, labels: copyLabels(h, "someone-else") })).toEqual({
        created: false,
      });
      await h.settle(() => isTrue(h.cluster.getJob(h.namespace, "migrate-u2"), "Complete"), settleTimeoutMs);
      const job = h.cluster.getJob(h.namespace, "migrate-u2")!;
      expect(job.succeeded).toBe(1);
      expect(job.labels).toMatchObject(copyLabels(h, "u2"));
      // Once finished, asking again still changes nothing.
      expect(await h.cluster.createMigrationJob(request)).toEqual({ created: false });
      expect(h.cluster.getJob(h.namespace, "migrate-u2")).toMatchObject({ succeeded: 1, active: 0 });
    });

    it("lets a failing migration Job reach Failed", async () => {
      const h = await open();
      const template = await seedTemplate(h);
      const failing = "registry.example.com/contract/app:3.0.0-fails";
      await h.failJobsRunning(failing);
      await h.cluster.createMigrationJob({
        template: template.ref,
        jobName: "migrate-u3",
        images: [{ container: "migrate", init: false, image: failing }],
        activeDeadlineSeconds: 600,
        labels: copyLabels(h, "u3"),
      });
      await h.settle(() => isTrue(h.cluster.getJob(h.namespace, "migrate-u3"), "Failed"), settleTimeoutMs);
      const job = h.cluster.getJob(h.namespace, "migrate-u3")!;
      expect(isTrue(job, "Complete")).toBe(false);
      expect(job.succeeded).toBe(0);
      expect(job.failed).toBeGreaterThan(0);
    });
  });
}
