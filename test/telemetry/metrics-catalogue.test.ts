import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createFailureMetrics } from "../../src/telemetry/failure-metrics.js";
import { createInformerMetrics } from "../../src/telemetry/informer-metrics.js";
import { createMetricsInterceptor } from "../../src/telemetry/metrics.js";
import { registerNodePlanMetrics } from "../../src/telemetry/node-plan-metrics.js";
import { createNotificationMetrics } from "../../src/telemetry/notification-metrics.js";
import { createRegistryWatchMetrics } from "../../src/telemetry/registry-watch-metrics.js";
import { createRegistryWebhookMetrics } from "../../src/telemetry/registry-webhook-metrics.js";
import { createRuntimeMetrics } from "../../src/telemetry/runtime-metrics.js";
import { createUpdateMetrics } from "../../src/telemetry/update-metrics.js";
import { metricsCatalogue } from "../kube/monitoring/monitoring-files.js";
import { repoRoot } from "../kube/kustomize-files.js";

/** Every `update_manager_*` family the process can register (each creator once, with every option that adds one). */
function everyFamily(): Map<string, readonly string[]> {
  const registry = new Registry();
  createMetricsInterceptor(registry);
  createUpdateMetrics(registry);
  createRuntimeMetrics(registry, { version: "0.1.0", cachesSynced: () => true, leading: () => true, informerRestarts: () => 0 });
  createInformerMetrics(registry);
  createFailureMetrics(registry);
  createRegistryWatchMetrics(registry);
  createRegistryWebhookMetrics(registry);
  createNotificationMetrics(registry, ["chat"]);
  registerNodePlanMetrics(registry, () => []);
  const families = new Map<string, readonly string[]>();
  for (const metric of registry.getMetricsAsArray()) {
    // prom-client keeps a metric's label names on the object; its typings do not declare them.
    const { labelNames } = metric as unknown as { labelNames: readonly string[] };
    expect(Array.isArray(labelNames), metric.name).toBe(true);
    families.set(metric.name, labelNames);
  }
  return families;
}

/** docs/metrics.md's rows: series name -> the label names of its labels column (values in parentheses left out). */
function catalogued(): Map<string, readonly string[]> {
  const rows = new Map<string, readonly string[]>();
  for (const line of readFileSync(metricsCatalogue, "utf8").split("\n")) {
    const cells = /^\| `(update_manager_[a-z0-9_]+)` \|[^|]*\|([^|]*)\|/.exec(line);
    if (cells === null) continue;
    const labels = [...cells[2]!.replace(/\([^)]*\)/g, "").matchAll(/`([a-z_]+)`/g)].map((match) => match[1]!);
    rows.set(cells[1]!, labels);
  }
  return rows;
}

/** The `update_manager_*` names src/ gives a metric (`name: "..."`), wherever it registers one. */
function namesInSource(dir = join(repoRoot, "src")): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .flatMap((entry) => [...readFileSync(join(entry.parentPath, entry.name), "utf8").matchAll(/name: "(update_manager_[a-z0-9_]+)"/g)])
    .map((match) => match[1]!);
}

/** Label names that would make a series per update, workload, image, person or node. */
const unbounded = ["update_id", "id", "trace_id", "workload", "name", "namespace", "image", "tag", "digest", "requester", "principal", "node", "pod", "container", "plan"];

describe("the metrics catalogue (docs/metrics.md)", () => {
  it("lists every series the process registers, with its labels, and none it does not", () => {
    const families = everyFamily();
    expect(new Set(namesInSource())).toEqual(new Set(families.keys()));
    const rows = catalogued();
    expect([...rows.keys()].sort()).toEqual([...families.keys()].sort());
    for (const [name, labels] of families) expect([...(rows.get(name) ?? [])].sort(), name).toEqual([...labels].sort());
  });

  it("has bounded label sets only: no update, workload, image, requester or node becomes a label", () => {
    for (const [name, labels] of everyFamily()) {
      expect(labels.filter((label) => unbounded.includes(label)), name).toEqual([]);
    }
  });

  it("covers each family the operator needs: updates by state and requester kind, steps, waits, informers, API and registry requests, notifications, node plans, build info", () => {
    const labelsOf = everyFamily();
    expect(labelsOf.get("update_manager_updates")).toEqual(["state", "requester_kind"]);
    expect(labelsOf.get("update_manager_updates_finished_total")).toEqual(["state", "requester_kind"]);
    expect(labelsOf.get("update_manager_step_duration_seconds")).toEqual(["step", "result"]);
    expect(labelsOf.get("update_manager_rollouts_waiting")).toEqual([]);
    expect(labelsOf.get("update_manager_informer_lag_seconds")).toEqual(["resource"]);
    expect(labelsOf.get("update_manager_informer_relists_total")).toEqual(["resource"]);
    expect(labelsOf.get("update_manager_kubernetes_api_requests_total")).toEqual(["verb", "resource", "code"]);
    expect(labelsOf.get("update_manager_registry_requests_total")).toEqual(["registry", "kind", "code"]);
    expect(labelsOf.get("update_manager_notifications_total")).toEqual(["channel", "result"]);
    expect(labelsOf.get("update_manager_node_plan_nodes")).toEqual(["phase"]);
    expect(labelsOf.get("update_manager_build_info")).toEqual(["version", "revision", "node_version"]);
  });
});
