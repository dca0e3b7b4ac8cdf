import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readYamlFile } from "../kustomize-files.js";
import { dashboardPanels, metricsCatalogue, prometheusRuleFile, rulesFile } from "./monitoring-files.js";

/** Metric names an expression reads (identifiers followed by a selector, a range or nothing, minus PromQL words). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:update_manager|process|nodejs)_[a-z0-9_]+)/g)].map((match) =>
    match[1]!.replace(/_(bucket|count|sum)$/, ""),
  );
}

describe("kube/monitoring alert rules", () => {
  it("ships the plain rules file's groups, unchanged, as the PrometheusRule's spec", () => {
    const [plain] = readYamlFile(rulesFile);
    const [manifest] = readYamlFile(prometheusRuleFile) as [{ apiVersion: string; kind: string; spec: unknown }];
    expect(manifest.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(manifest.kind).toBe("PrometheusRule");
    expect(manifest.spec).toEqual(plain);
  });

  it("alerts on a stuck update, repeated and failed rollbacks, registry errors, unsynced or lagging caches and a missing leader", () => {
    const [plain] = readYamlFile(rulesFile) as [{ groups: { rules: { alert: string; expr: string }[] }[] }];
    const rules = plain.groups.flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.alert)).toEqual([
      "UpdateManagerUpdateStuck",
      "UpdateManagerRepeatedRollbacks",
      "UpdateManagerRollbackFailed",
      "UpdateManagerRegistryErrors",
      "UpdateManagerCachesNotSynced",
      "UpdateManagerInformerLagHigh",
      "UpdateManagerLeaderMissing",
    ]);
  });

  it("reads only catalogued metrics, in the rules and in every dashboard panel", () => {
    const catalogue = readFileSync(metricsCatalogue, "utf8");
    const [plain] = readYamlFile(rulesFile) as [{ groups: { rules: { expr: string }[] }[] }];
    const expressions = [
      ...plain.groups.flatMap((group) => group.rules.map((rule) => rule.expr)),
      ...dashboardPanels().flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
    ];
    const names = new Set(expressions.flatMap(metricNames));
    expect(names.size).toBeGreaterThan(10);
    for (const name of names) {
      if (name.startsWith("process_") || name.startsWith("nodejs_")) continue; // prom-client's defaults, catalogued as a family.
      expect(catalogue, `${name} is not in docs/metrics.md`).toContain(`\`${name}\``);
    }
  });

  it("shows every family of the catalogue an operator watches on some dashboard panel", () => {
    const shown = new Set(dashboardPanels().flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricNames(target.expr))));
    // Issue 18's list: updates by state and requester kind, step durations, rollouts waiting, informer lag and
    // relists, Kubernetes API and registry requests, notifications, node plan progress, build info.
    const watched = [
      "update_manager_updates",
      "update_manager_updates_finished_total",
      "update_manager_step_duration_seconds",
      "update_manager_rollouts_waiting",
      "update_manager_informer_lag_seconds",
      "update_manager_informer_relists_total",
      "update_manager_kubernetes_api_requests_total",
      "update_manager_registry_requests_total",
      "update_manager_notifications_total",
      "update_manager_node_plans",
      "update_manager_node_plan_nodes",
      "update_manager_build_info",
    ];
    expect(watched.filter((name) => !shown.has(name))).toEqual([]);
  });

  it("gives every dashboard panel a title and at least one expression", () => {
    const panels = dashboardPanels();
    expect(panels.length).toBeGreaterThan(10);
    for (const panel of panels) {
      expect(panel.title).not.toBe("");
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });
});
