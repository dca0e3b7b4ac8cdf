/** One row of RELIABILITY.md's table, as measured by a scenario of the fault suite. */
export interface ScenarioFigures {
  readonly scenario: string;
  /** Times the scenario ran in this file (a table row may merge several, e.g. one per crash point). */
  runs: number;
  /** Updates accepted (recorded as UpdateRuns). */
  updates: number;
  /** Accepted updates whose UpdateRun reached a terminal phase. */
  terminal: number;
  /** Workloads on an image their update's recorded outcome does not explain. */
  halfApplied: number;
  /** Migration Jobs created twice, or workloads changed to the same new image more than once. */
  duplicates: number;
  /** Successful writes by a replica after another took the Lease from it (from the audit log). */
  writesAfterLosingLease: number;
  /** Longest time from the fault (or the kill) to the last update's terminal phase, in ms. */
  recoverMs: number;
  /** Requests the proxy answered with a fault (or the crash points that fired). */
  faultsInjected: number;
  /** How the updates ended: UpdateRun phase -> count. */
  outcomes: Record<string, number>;
}

export function emptyFigures(scenario: string): ScenarioFigures {
  return { scenario, runs: 0, updates: 0, terminal: 0, halfApplied: 0, duplicates: 0, writesAfterLosingLease: 0, recoverMs: 0, faultsInjected: 0, outcomes: {} };
}

/** Adds one run's figures to a row. */
export function addRun(row: ScenarioFigures, run: Omit<ScenarioFigures, "scenario" | "runs">): void {
  row.runs++;
  row.updates += run.updates;
  row.terminal += run.terminal;
  row.halfApplied += run.halfApplied;
  row.duplicates += run.duplicates;
  row.writesAfterLosingLease += run.writesAfterLosingLease;
  row.recoverMs = Math.max(row.recoverMs, run.recoverMs);
  row.faultsInjected += run.faultsInjected;
  for (const [phase, count] of Object.entries(run.outcomes)) row.outcomes[phase] = (row.outcomes[phase] ?? 0) + count;
}

/** The rows as RELIABILITY.md's table. */
export function figuresTable(rows: readonly ScenarioFigures[]): string {
  const lines = [
    "| Scenario | Runs | Updates | Terminal | Half-applied (must be 0) | Duplicate Jobs or patches (0) | Writes after losing the Lease (0) | Time to recover | Faults injected | Outcomes |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.scenario} | ${row.runs} | ${row.updates} | ${row.terminal} | ${row.halfApplied} | ${row.duplicates} | ${row.writesAfterLosingLease} | ${(row.recoverMs / 1000).toFixed(1)} s | ${row.faultsInjected} | ${Object.entries(row.outcomes)
        .map(([phase, count]) => `${count} ${phase}`)
        .join(", ")} |`,
    );
  }
  return lines.join("\n");
}
