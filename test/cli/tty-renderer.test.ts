import { describe, expect, it } from "vitest";
import { createTtyRenderer } from "../../src/cli/tty-renderer.js";
import { recordedUpdate, recorder } from "./recorded-update.js";

/**
 * A tiny terminal: applies text, newlines, "cursor to the start of the line n lines up" (CSI n F) and "clear to
 * the end of the screen" (CSI J), the only controls the renderer may use. Throws on any other sequence.
 */
function screen(output: string): string[] {
  const lines: string[] = [""];
  let row = 0;
  for (let i = 0; i < output.length; i++) {
    const char = output[i] as string;
    if (char === "\x1b") {
      // ESC is checked above; the rest of the sequence is "[", digits and a letter.
      const match = /^\[(\d*)([A-Za-z])/.exec(output.slice(i + 1));
      if (match === null) throw new Error(`bad escape at ${i}`);
      const [all, count, command] = match;
      if (command === "F") {
        row = Math.max(0, row - Number(count || 1));
      } else if (command === "J") {
        lines.splice(row + 1);
        lines[row] = "";
      } else if (command !== "m") {
        throw new Error(`unexpected control ESC${all}`);
      }
      i += (all as string).length;
    } else if (char === "\n") {
      row += 1;
      if (lines[row] === undefined) lines[row] = "";
    } else {
      lines[row] += char;
    }
  }
  return lines.slice(0, row);
}

describe("the terminal renderer", () => {
  it("redraws one line per target in place and ends with the final picture", () => {
    const { accepted, messages } = recordedUpdate();
    const stdout = recorder({ isTTY: true, columns: 100 });
    const stderr = recorder();
    const renderer = createTtyRenderer(stdout, stderr, { color: false });
    renderer.accepted(accepted, false);
    for (const message of messages) renderer.message(message);
    renderer.result({ exitCode: 3, message: `update ${accepted.id} ROLLED_BACK` });

    const final = screen(stdout.text);
    const block = final.slice(final.findLastIndex((line) => line.startsWith(`update ${accepted.id.slice(0, 8)} `)));
    expect(block).toEqual([
      `update ${accepted.id.slice(0, 8)} ROLLED_BACK: registry.example.com/shop/web:2.0.0-broken (classifier shop)`,
      "  ✓ migration job shop/web-migrate  succeeded",
      "  ✓ deployment legacy/storefront    rolled back",
      "  · cronjob shop/report             not changed",
      "  · deployment shop/web             not changed",
      "  · deployment shop/worker          not changed",
    ]);
    // Failures and the rollback stay on screen above the block, once each.
    const kept = final.slice(0, final.length - block.length);
    expect(kept.filter((line) => line.startsWith("[8] deployment legacy/storefront failed:"))).toHaveLength(1);
    expect(kept.filter((line) => line.startsWith("[9] rollback started:"))).toHaveLength(1);
    expect(kept).toContain("[13] rollback finished: every changed workload runs its previous images again");
    // Progress events are not kept: the block shows them.
    expect(kept.some((line) => line.includes("Waiting for deployment"))).toBe(false);
    expect(stderr.lines).toEqual([`update ${accepted.id} ROLLED_BACK`]);
  });

  it("shows a workload's rollout while it runs", () => {
    const { accepted, messages } = recordedUpdate();
    const stdout = recorder({ isTTY: true, columns: 200 });
    const renderer = createTtyRenderer(stdout, recorder(), { color: false });
    renderer.accepted(accepted, false);
    for (const message of messages.slice(0, 7)) renderer.message(message);
    expect(screen(stdout.text)).toContain(
      '  … deployment legacy/storefront    rolling out  Waiting for deployment "storefront" rollout to finish: 1 out of 2 new replicas have been updated...',
    );
  });

  it("cuts block lines to the terminal's width so redrawing never miscounts wrapped lines", () => {
    const { accepted, messages } = recordedUpdate();
    const stdout = recorder({ isTTY: true, columns: 40 });
    const renderer = createTtyRenderer(stdout, recorder(), { color: true });
    renderer.accepted(accepted, false);
    for (const message of messages.slice(0, 8)) renderer.message(message);
    // The screen drops colour codes, so its lines are what is visible.
    const visible = (line: string) => line;
    const final = screen(stdout.text);
    const block = final.slice(final.length - 6);
    expect(block[0]).toMatch(/^update \S+ RUNNING: /);
    for (const line of block) expect([...visible(line)].length).toBeLessThanOrEqual(39);
    expect(visible(block[2] ?? "")).toMatch(/^ {2}✗ deployment legacy\/storefront/);
    // Coloured: the failed workload is red.
    expect(stdout.text).toContain("\x1b[31m  ✗ deployment legacy/storefront");
  });
});
