import { dashboardPanels } from "../kube/monitoring/monitoring-files.js";
import type { PrometheusProcess } from "./prometheus.js";

export interface PanelQueryOptions {
  /** Titles of the panels to query; each must be a panel of the dashboard. Default: every panel. */
  readonly panels?: readonly string[];
  /** Panels (by title) whose expressions may rightly answer no data here, with the reason. Default: none. */
  readonly mayBeEmpty?: Readonly<Record<string, string>>;
}

/**
 * Runs the expressions of kube/monitoring/grafana-dashboard.json's panels through Prometheus's query API and returns
 * one line per problem: a query error, no data where data must exist, or a title that names no panel (so that a
 * renamed panel is not silently left unchecked). Empty when every expression answered.
 */
export async function panelQueryProblems(prometheus: PrometheusProcess, options: PanelQueryOptions = {}): Promise<string[]> {
  const all = dashboardPanels();
  const titles = new Set(all.map((panel) => panel.title));
  const problems = [...(options.panels ?? []), ...Object.keys(options.mayBeEmpty ?? {})]
    .filter((title) => !titles.has(title))
    .map((title) => `${title}: no such panel in the dashboard`);
  const wanted = options.panels === undefined ? undefined : new Set(options.panels);
  for (const panel of all) {
    if (wanted !== undefined && !wanted.has(panel.title)) continue;
    for (const target of panel.targets ?? []) {
      const answer = await prometheus.query(target.expr);
      if (answer.status !== "success") {
        problems.push(`${panel.title}: ${target.expr}: ${answer.errorType} ${answer.error}`);
      } else if (answer.data.result.length === 0 && options.mayBeEmpty?.[panel.title] === undefined) {
        problems.push(`${panel.title}: ${target.expr}: no data`);
      }
    }
  }
  return problems;
}
