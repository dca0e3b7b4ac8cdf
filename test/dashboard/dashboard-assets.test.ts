import { describe, expect, it } from "vitest";
import { bundleDashboard } from "../../src/dashboard/dashboard-assets.js";

// The real esbuild bundle of src/dashboard/browser, built in memory as the server builds it at start-up.
const built = await bundleDashboard();
const page = built.files.get("/")!.body.toString();

function referenced(pattern: RegExp): string {
  const match = pattern.exec(page);
  if (match?.[1] === undefined) throw new Error(`the page does not reference ${pattern}`);
  return match[1];
}

describe("the dashboard bundle", () => {
  it("references the script and stylesheet it serves, under content-hashed names", () => {
    const script = referenced(/<script type="module" src="([^"]+)"><\/script>/);
    const style = referenced(/<link rel="stylesheet" href="([^"]+)">/);
    expect(script).toMatch(/^\/dashboard\/app-[0-9a-f]{16}\.js$/);
    expect(style).toMatch(/^\/dashboard\/app-[0-9a-f]{16}\.css$/);
    expect(built.files.get(script)?.contentType).toBe("text/javascript; charset=utf-8");
    expect(built.files.get(style)?.contentType).toBe("text/css; charset=utf-8");
    expect(built.files.get(script)?.cacheControl).toContain("immutable");
    expect(built.files.get("/")?.cacheControl).toBe("no-cache");
  });

  it("has no inline script or style, which the CSP would block", () => {
    expect(page).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(page).not.toContain("{{");
  });

  it("bundles the browser code with the Connect client and no eval, which the CSP would block", () => {
    const script = built.files.get(referenced(/src="([^"]+\.js)"/))!.body.toString();
    // Booleans, not the bundle: a failure message must not print 140 kB of minified code.
    expect(script.toLowerCase().includes("connect-protocol-version")).toBe(true);
    expect(script.includes("WatchUpdate") || script.includes("watchUpdate")).toBe(true);
    expect(/\beval\(|new Function\(/.test(script)).toBe(false);
    expect(/\brequire\(/.test(script)).toBe(false);
  });

  it("gzips what shrinks and keeps the same bytes otherwise", () => {
    const script = built.files.get(referenced(/src="([^"]+\.js)"/))!;
    expect(script.gzip).toBeDefined();
    expect(script.gzip!.length).toBeLessThan(script.body.length / 2);
  });
});
