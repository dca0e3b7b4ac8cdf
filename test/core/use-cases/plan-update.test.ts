import { describe, expect, it } from "vitest";
import { parseUpdateImage } from "../../../src/core/domain/image-reference.js";
import { createMetadataKeys } from "../../../src/core/domain/metadata-keys.js";
import type { Workload } from "../../../src/core/domain/workload.js";
import { planUpdate } from "../../../src/core/use-cases/plan-update.js";
import { aWorkload } from "../../support/workloads.js";

const keys = createMetadataKeys();
const image = "registry.example.com/team/web:2.0.0";
const updateId = "4f0c8a52-1111-4222-8333-444455556666";

function plan(workloads: Workload[], options: { classifier?: string; legacyAnnotation?: boolean; image?: string; updateId?: string } = {}) {
  const requested = options.image ?? image;
  return planUpdate({
    image: requested,
    reference: parseUpdateImage(requested),
    classifier: options.classifier ?? "default",
    updateId: options.updateId ?? updateId,
    workloads,
    keys,
    legacyAnnotation: options.legacyAnnotation ?? true,
  });
}

const names = (result: ReturnType<typeof plan>) => result.plan.workloads.map((w) => `${w.workload.kind}/${w.workload.namespace}/${w.workload.name}`);

describe("planning an update", () => {
  it("targets opted-in workloads whose repository matches exactly, ordered by namespace, kind and name", () => {
    const result = plan([
      aWorkload("StatefulSet", { namespace: "b", name: "db" }),
      aWorkload("Deployment", { namespace: "b", name: "web" }),
      aWorkload("Deployment", { namespace: "a", name: "zeta" }),
      aWorkload("Deployment", { namespace: "a", name: "admin", image: "registry.example.com/team/web-admin:1.0.0" }),
      aWorkload("Deployment", { namespace: "a", name: "other-registry", image: "ghcr.io/team/web:1.0.0" }),
      aWorkload("DaemonSet", { namespace: "a", name: "agent", classifier: "other" }),
    ]);
    expect(names(result)).toEqual(["Deployment/a/zeta", "Deployment/b/web", "StatefulSet/b/db"]);
  });

  it("compares normalised repositories: Docker Hub short names match their long form", () => {
    const result = plan(
      [
        aWorkload("Deployment", { name: "short", image: "nginx:1.26" }),
        aWorkload("Deployment", { name: "long", image: "docker.io/library/nginx:1.26" }),
        aWorkload("Deployment", { name: "index", image: "index.docker.io/library/nginx@sha256:" + "b".repeat(64) }),
        aWorkload("Deployment", { name: "not-official", image: "docker.io/someone/nginx:1.26" }),
      ],
      { image: "nginx:1.27" },
    );
    expect(result.plan.workloads.map((w) => w.workload.name)).toEqual(["index", "long", "short"]);
  });

  it("changes only matching containers, init containers included, and marks containers already on the image", () => {
    const [workload] = plan([
      aWorkload("Deployment", {
        containers: [
          { name: "init", image: "registry.example.com/team/web:1.0.0", init: true },
          { name: "app", image: "registry.example.com/team/web:2.0.0", init: false },
          { name: "proxy", image: "envoyproxy/envoy:v1.30", init: false },
        ],
      }),
    ]).plan.workloads;
    expect(workload!.containers).toEqual([
      { name: "init", init: true, currentImage: "registry.example.com/team/web:1.0.0", newImage: image, unchanged: false },
      { name: "app", init: false, currentImage: "registry.example.com/team/web:2.0.0", newImage: image, unchanged: true },
    ]);
    expect(workload!.unchanged).toBe(false);
  });

  it("treats a tag-only request as a different image than the pinned digest of the same tag", () => {
    const pinned = `registry.example.com/team/web:2.0.0@sha256:${"c".repeat(64)}`;
    const [workload] = plan([aWorkload("Deployment", { image })], { image: pinned }).plan.workloads;
    expect(workload!.unchanged).toBe(false);
    expect(workload!.containers[0]!.newImage).toBe(pinned);
  });

  it("honours the legacy annotation only when enabled, and the label in any case", () => {
    const legacy = aWorkload("Deployment", {
      name: "legacy",
      labels: { app: "legacy" },
      annotations: { [keys.legacyClassifierAnnotation]: "default" },
    });
    const labelled = aWorkload("Deployment", { name: "labelled" });
    expect(plan([legacy, labelled]).plan.workloads.map((w) => w.workload.name)).toEqual(["labelled", "legacy"]);
    expect(plan([legacy, labelled], { legacyAnnotation: false }).plan.workloads.map((w) => w.workload.name)).toEqual(["labelled"]);
  });

  it("includes CronJobs as workloads", () => {
    expect(names(plan([aWorkload("CronJob", { name: "nightly" })]))).toEqual(["CronJob/default/nightly"]);
  });

  it("uses Jobs as migration templates, warning about one that is not suspended (the original's templates)", () => {
    const result = plan([
      aWorkload("Job", { name: "migrate", suspended: true }),
      aWorkload("Job", { name: "one-off", suspended: false }),
      aWorkload("Deployment"),
    ]);
    expect(result.plan.migrations.map((m) => m.template.name)).toEqual(["migrate", "one-off"]);
    expect(result.plan.warnings).toEqual([
      "Job default/one-off is not suspended: it ran by itself when it was created; set spec.suspend: true so the template never runs on its own",
    ]);
    expect(result.plan.workloads.map((w) => w.workload.name)).toEqual(["web"]);
  });

  it("treats a suspended CronJob as a migration template and an active CronJob as a workload", () => {
    const result = plan([
      aWorkload("CronJob", { name: "migrate-cron", suspended: true }),
      aWorkload("CronJob", { name: "report", suspended: false }),
    ]);
    expect(result.plan.migrations.map((m) => `${m.template.kind}/${m.template.name}`)).toEqual(["CronJob/migrate-cron"]);
    expect(result.plan.workloads.map((w) => `${w.workload.kind}/${w.workload.name}`)).toEqual(["CronJob/report"]);
  });

  it("orders migrations by explicit order, then by namespace and name, and warns about a bad order", () => {
    const job = (namespace: string, name: string, order?: string) =>
      aWorkload("Job", {
        namespace,
        name,
        suspended: true,
        ...(order === undefined ? {} : { annotations: { [keys.migrationOrderAnnotation]: order } }),
      });
    const result = plan([
      job("b", "plain"),
      job("a", "plain"),
      job("z", "late", "5"),
      job("a", "early", "-3"),
      job("c", "broken", "soon"),
    ]);
    expect(result.plan.migrations.map((m) => [`${m.template.namespace}/${m.template.name}`, m.order])).toEqual([
      ["a/early", -3],
      ["z/late", 5],
      ["a/plain", 0],
      ["b/plain", 0],
      ["c/broken", 0],
    ]);
    expect(result.plan.warnings).toEqual([
      `Job c/broken: annotation ${keys.migrationOrderAnnotation}="soon" is not an integer; treated as unset`,
    ]);
  });

  it("names migration Jobs deterministically per update and template, as valid DNS labels", () => {
    const long = "a-very-long-migration-template-name-that-goes-on-and-on-and-on-x";
    const templates = [aWorkload("Job", { name: "migrate", suspended: true }), aWorkload("Job", { name: long, suspended: true })];
    const first = plan(templates).plan.migrations.map((m) => m.jobName);
    const again = plan(templates).plan.migrations.map((m) => m.jobName);
    const otherUpdate = plan(templates, { updateId: "another-update" }).plan.migrations.map((m) => m.jobName);
    expect(again).toEqual(first);
    expect(otherUpdate[0]).not.toBe(first[0]);
    for (const name of [...first, ...otherUpdate]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    expect(first.find((name) => name.startsWith("migrate-"))).toMatch(/^migrate-[0-9a-f]{8}$/);
    // A dry run has no id yet, so no Job name either.
    expect(plan(templates, { updateId: "" }).plan.migrations.map((m) => m.jobName)).toEqual(["", ""]);
  });

  it("warns about GitOps field managers and OnDelete strategies", () => {
    const result = plan([
      aWorkload("Deployment", { name: "flux", fieldManagers: ["kustomize-controller", "kube-controller-manager"] }),
      aWorkload("Deployment", { name: "argo", fieldManagers: ["argocd-controller"] }),
      aWorkload("StatefulSet", { name: "db", rollout: { strategy: "OnDelete" } }),
    ]);
    const warnings = Object.fromEntries(result.plan.workloads.map((w) => [w.workload.name, w.warnings]));
    expect(warnings).toEqual({
      argo: ["fields are managed by argocd-controller: it may revert this change"],
      flux: ["fields are managed by kustomize-controller: it may revert this change"],
      db: ["not gateable: rollout cannot be health-checked"],
    });
  });

  it("reports a paused Deployment as not updatable only when it would change", () => {
    const paused = (name: string, current: string) =>
      aWorkload("Deployment", { name, image: current, rollout: { paused: true } });
    const result = plan([paused("changing", "registry.example.com/team/web:1.0.0"), paused("done", image)]);
    expect(result.notUpdatable.map((n) => n.workload.name)).toEqual(["changing"]);
    expect(result.notUpdatable[0]!.reason).toContain("default/changing is paused");
  });

  it("returns an empty plan when nothing matches", () => {
    const result = plan([aWorkload("Deployment", { image: "registry.example.com/team/api:1" })]);
    expect(result.plan).toEqual({ migrations: [], workloads: [], warnings: [] });
  });
});
