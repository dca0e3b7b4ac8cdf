import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVitest } from "vitest/node";
import SummaryReporter from "./summary-reporter.js";

// The closing line CI reads, from a real vitest run of fixture modules (test/support/fixtures/*.fixture.ts, which
// no tier includes): a module whose beforeAll failed, one that fails while it loads, and one that passes.
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "um-summary-reporter-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function summarize(fixtures: string[]): Promise<{ line: string; json: unknown }> {
  const summaryFile = join(dir, `${fixtures.join("+")}.jsonl`);
  let printed = "";
  const reporter = new SummaryReporter({ summaryFile, write: (text) => (printed += text) });
  const exitCode = process.exitCode;
  const vitest = await startVitest("test", [], {
    root: process.cwd(),
    config: false,
    include: fixtures.map((name) => `test/support/fixtures/${name}.fixture.ts`),
    reporters: [reporter],
    watch: false,
  });
  await vitest.close();
  process.exitCode = exitCode; // the nested run sets it for its own failures
  return { line: printed.trim(), json: JSON.parse(await readFile(summaryFile, "utf8")) };
}

describe("the summary reporter's closing line", () => {
  it("counts every test of a module whose beforeAll failed as failed, not skipped", async () => {
    const { line, json } = await summarize(["setup-fails"]);
    expect(line).toBe("0 passed, 2 failed, 0 skipped");
    expect(json).toEqual({ passed: 0, failed: 2, skipped: 0 });
  }, 60_000);

  it("counts a module that fails while loading as one failure, beside the tests that passed", async () => {
    const { line, json } = await summarize(["load-fails", "passes"]);
    expect(line).toBe("1 passed, 1 failed, 0 skipped");
    expect(json).toEqual({ passed: 1, failed: 1, skipped: 0 });
  }, 60_000);
});
