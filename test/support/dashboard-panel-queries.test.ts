import { describe, expect, it } from "vitest";
import { dashboardPanels } from "../kube/monitoring/monitoring-files.js";
import { panelQueryProblems } from "./dashboard-panel-queries.js";
import type { PrometheusProcess, QueryAnswer } from "./prometheus.js";

const lagPanel = "Informer lag p90 by resource";
const relistPanel = "Informer relists per hour by resource";
const exprOf = (title: string) => dashboardPanels().find((panel) => panel.title === title)!.targets![0]!.expr;

/** A Prometheus that answers one sample for every expression but those `answers` names; records what was asked. */
function fakePrometheus(answers: Record<string, QueryAnswer> = {}) {
  const asked: string[] = [];
  const prometheus: PrometheusProcess = {
    url: "http://127.0.0.1:1",
    async query(expr) {
      asked.push(expr);
      return answers[expr] ?? { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [0, "1"] }] } };
    },
    waitFor: () => Promise.reject(new Error("not used")),
    stop: async () => {},
  };
  return { prometheus, asked };
}

const empty: QueryAnswer = { status: "success", data: { resultType: "vector", result: [] } };

describe("running the dashboard's panel expressions through Prometheus", () => {
  it("queries every target of every panel by default, and finds nothing wrong when each answers data", async () => {
    const { prometheus, asked } = fakePrometheus();
    expect(await panelQueryProblems(prometheus)).toEqual([]);
    expect(asked).toEqual(dashboardPanels().flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)));
  });

  it("queries only the panels named, and reports an error answer and an empty one, unless that panel may be empty", async () => {
    const answers: Record<string, QueryAnswer> = {
      [exprOf(lagPanel)]: { status: "error", errorType: "bad_data", error: "parse error" },
      [exprOf(relistPanel)]: empty,
    };
    const { prometheus, asked } = fakePrometheus(answers);
    expect(await panelQueryProblems(prometheus, { panels: [lagPanel, relistPanel] })).toEqual([
      `${lagPanel}: ${exprOf(lagPanel)}: bad_data parse error`,
      `${relistPanel}: ${exprOf(relistPanel)}: no data`,
    ]);
    expect(asked).toEqual([exprOf(lagPanel), exprOf(relistPanel)]);
    const exempt = await panelQueryProblems(fakePrometheus(answers).prometheus, {
      panels: [lagPanel, relistPanel],
      mayBeEmpty: { [relistPanel]: "no informers", [lagPanel]: "no informers" },
    });
    // Exempt from data, not from errors.
    expect(exempt).toEqual([`${lagPanel}: ${exprOf(lagPanel)}: bad_data parse error`]);
  });

  it("reports a title that names no panel, so that a renamed panel is not left unchecked", async () => {
    const { prometheus } = fakePrometheus();
    expect(
      await panelQueryProblems(prometheus, { panels: ["Informer lag"], mayBeEmpty: { "Registry errors": "off" } }),
    ).toEqual(["Informer lag: no such panel in the dashboard", "Registry errors: no such panel in the dashboard"]);
  });
});
