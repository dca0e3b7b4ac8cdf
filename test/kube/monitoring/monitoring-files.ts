import { readFileSync } from "node:fs";
import { join } from "node:path";
import { kubeDir, repoRoot } from "../kustomize-files.js";

/** kube/monitoring: the alert rules, their tests, the PrometheusRule and the Grafana dashboard. */
export const monitoringDir = join(kubeDir, "monitoring");
export const rulesFile = join(monitoringDir, "update-manager.rules.yaml");
export const rulesTestFile = join(monitoringDir, "update-manager.rules.test.yaml");
export const prometheusRuleFile = join(monitoringDir, "prometheus-rule.yaml");
export const dashboardFile = join(monitoringDir, "grafana-dashboard.json");
export const metricsCatalogue = join(repoRoot, "docs", "metrics.md");

export interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly { readonly refId: string; readonly expr: string }[];
}

/** The dashboard's panels that query Prometheus (rows left out). */
export function dashboardPanels(): DashboardPanel[] {
  const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8")) as { panels: DashboardPanel[] };
  return dashboard.panels.filter((panel) => panel.type !== "row");
}
