import { appendFileSync } from "node:fs";
import type { Reporter, TestCase, TestModule, TestSuite } from "vitest/node";

export interface SummaryReporterOptions {
  /** File the counts are appended to as one JSON line. Default: `$UPDATE_MANAGER_TEST_SUMMARY`, else none. */
  summaryFile?: string;
  /** Where the closing line goes. Default: stdout. */
  write?: (text: string) => void;
}

/** Counts of one run, as scripts/test.sh adds them up. */
export interface SummaryCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Prints the closing line CI reads (`N passed, N failed, N skipped`) and, when a summary file is set, appends the
 * counts as one JSON line so scripts/test.sh can add the tiers up.
 *
 * A test that did not run because the setup around it failed (a `beforeAll` that threw) counts as failed, not
 * skipped; a module that failed with no failed test (it did not import, its `afterAll` threw) counts one failure.
 */
export default class SummaryReporter implements Reporter {
  private readonly summaryFile: string | undefined;
  private readonly write: (text: string) => void;

  constructor(options: SummaryReporterOptions = {}) {
    this.summaryFile = options.summaryFile ?? process.env.UPDATE_MANAGER_TEST_SUMMARY;
    this.write = options.write ?? ((text) => process.stdout.write(text));
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const counts = countTests(testModules);
    counts.failed += unhandledErrors.length;
    if (this.summaryFile) appendFileSync(this.summaryFile, `${JSON.stringify(counts)}\n`);
    this.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}

export function countTests(testModules: ReadonlyArray<TestModule>): SummaryCounts {
  const counts: SummaryCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const module of testModules) {
    let moduleFailures = 0;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === "passed") counts.passed++;
      else if (state === "failed" || setupFailed(test)) moduleFailures++;
      else counts.skipped++;
    }
    if (module.state() === "failed" && moduleFailures === 0) moduleFailures = 1;
    counts.failed += moduleFailures;
  }
  return counts;
}

/** Whether a suite around the test (or its module) recorded an error, i.e. a hook of its setup threw. */
function setupFailed(test: TestCase): boolean {
  let scope: TestSuite | TestModule = test.parent;
  while (scope.type === "suite") {
    if (scope.errors().length > 0) return true;
    scope = scope.parent;
  }
  return scope.errors().length > 0;
}
