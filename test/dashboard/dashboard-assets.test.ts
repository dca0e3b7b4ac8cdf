import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../src/dashboard/build-dashboard.js";
import { loadDashboardAssets } from "../../src/dashboard/dashboard-assets.js";

// The real esbuild bundle of src/dashboard/browser, written as `npm run build` writes it and read back as the
// server reads it at start-up.
const dir = await mkdtemp(join(tmpdir(), "dashboard-build-"));
afterAll(() => rm(dir, { recursive: true, force: true }));
const manifest = await buildDashboard(dir);
const built = await loadDashboardAssets(dir);
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

  it("writes every file the manifest names, and nothing else besides the manifest", async () => {
    const names = Object.values(manifest.files).map((entry) => entry.file);
    expect((await readdir(dir)).sort()).toEqual([...names, "manifest.json"].sort());
    expect([...built.files.keys()].sort()).toEqual(Object.keys(manifest.files).sort());
  });

  it("refuses a missing bundle or a manifest that names a file outside its directory, saying what to run", async () => {
    const empty = await mkdtemp(join(tmpdir(), "dashboard-empty-"));
    try {
      await expect(loadDashboardAssets(empty)).rejects.toThrow(/no dashboard bundle in .*run npm run build/);
      const entry = { file: "../secret", contentType: "text/plain", cacheControl: "no-cache" };
      await writeFile(join(empty, "manifest.json"), JSON.stringify({ files: { "/": entry } }));
      await expect(loadDashboardAssets(empty)).rejects.toThrow(/not a file of that directory/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("gzips what shrinks and keeps the same bytes otherwise", () => {
    const script = built.files.get(referenced(/src="([^"]+\.js)"/))!;
    expect(script.gzip).toBeDefined();
    expect(script.gzip!.length).toBeLessThan(script.body.length / 2);
  });
});
