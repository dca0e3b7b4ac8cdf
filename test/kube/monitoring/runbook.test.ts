import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readYamlFile, repoRoot } from "../kustomize-files.js";
import { rulesFile } from "./monitoring-files.js";

/** README.md's "Monitoring and runbook" section, up to the next `## ` heading. */
function runbook(): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const start = readme.indexOf("\n## Monitoring and runbook");
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** Every TypeScript source of src/, as one text to search. */
function sources(): string {
  const dir = join(repoRoot, "src");
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), "utf8"))
    .join("\n");
}

/**
 * What the runbook quotes the manager as saying: log lines (`log \`...\``, `log line \`...\``, `\`...\` instead`, a
 * log's `or \`...\``, `logged (\`...\`)`) and what `/readyz` answers. `...` in a quote stands for what varies.
 */
function quotedMessages(text: string): string[] {
  const patterns = [
    /\blog(?: line)? \(?`([^`]+)`/g,
    /\blogged \(`([^`]+)`/g,
    /`([^`]+)` instead\b/g,
    /\binstead `([^`]+)`(?: or `([^`]+)`)?/g,
    /\/readyz` answers "([^"]+)"/g,
  ];
  const quotes = patterns.flatMap((pattern) => [...text.matchAll(pattern)].flatMap((match) => match.slice(1)));
  // A quote may wrap across lines of the README.
  return [...new Set(quotes.filter((quote) => quote !== undefined).map((quote) => quote.replace(/\s+/g, " ")))];
}

describe("the README runbook", () => {
  it("has a paragraph for each situation, naming the alerts that fire in it", () => {
    const text = runbook();
    for (const situation of [
      "An update that seems stuck",
      "A failed rollback",
      "Caches that do not sync",
      "A registry that rate limits",
      "A leader that does not step up",
    ]) {
      expect(text, situation).toContain(`**${situation}.**`);
    }
    const [plain] = readYamlFile(rulesFile) as [{ groups: { rules: { alert: string }[] }[] }];
    for (const { alert } of plain.groups.flatMap((group) => group.rules)) expect(text, alert).toContain(`\`${alert}\``);
  });

  it("quotes only log lines and readiness answers the manager writes", () => {
    const code = sources();
    const quotes = quotedMessages(runbook());
    expect(quotes.length).toBeGreaterThan(8);
    for (const quote of quotes) {
      // Each fixed part of the quote (template literals hold the varying ones).
      const parts = quote.split("...").map((part) => part.trim()).filter((part) => part !== "");
      for (const part of parts) expect(code.includes(part), `the runbook quotes "${quote}", which src/ never writes`).toBe(true);
    }
  });
});
