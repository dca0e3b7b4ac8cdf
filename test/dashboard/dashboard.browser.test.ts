import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Browser, type BrowserContext, type BrowserServer, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { trackProcess } from "../support/process-registry.js";
import { type ServerProcess, startServer } from "../support/server-process.js";

// The dashboard in Debian's Chromium against the real server on the embedded demo cluster, with access control
// on: a full key for the pipeline (the generated client in this test), a read-only key for the dashboard, and
// a key that may list targets only. Assertions are on the DOM; no screenshots.

const repo = "registry.example.com/shop/web";
const pipelineKey = "um_pipeline_0123456789abcdef0123456789abcdef";
const dashboardKey = "um_dashboard_0123456789abcdef0123456789abcdef";
const targetsOnlyKey = "um_targets_0123456789abcdef0123456789abcdef";
const approverKey = "um_approver_0123456789abcdef0123456789abcdef";
const sha256 = (key: string) => createHash("sha256").update(key).digest("hex");
const everything = { classifiers: "*", namespaces: "*", repositories: "*" };

let server: ServerProcess;
let browserServer: BrowserServer;
let browser: Browser;
let context: BrowserContext;
let pipeline: Client<typeof UpdateService>;
/**
 * Console errors and uncaught exceptions of every page (a CSP violation is a console error). Chromium also logs
 * each 401/403 response as an error; those are the server's expected answers before a key is entered.
 */
let pageErrors: string[];
const expectedRefusal = /^Failed to load resource: the server responded with a status of 40[13]\b/;

/** The approval policy, in a file of its own that lives as long as the test process. */
function policiesFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "um-dashboard-policies-"));
  const path = join(dir, "policies.yaml");
  writeFileSync(path, "approvals:\n  policies:\n    - name: platform-changes\n      classifiers: [platform]\n      approvers: 1\n");
  return path;
}

beforeAll(async () => {
  server = await startServer({
    env: {
      UPDATE_MANAGER_INSECURE_DEMO: "false",
      UPDATE_MANAGER_API_KEY: pipelineKey,
      UPDATE_MANAGER_API_KEYS: JSON.stringify({
        keys: [
          { name: "dashboard", sha256: sha256(dashboardKey), rpcs: ["read"], ...everything },
          { name: "targets-only", sha256: sha256(targetsOnlyKey), rpcs: ["ListTargets"], ...everything },
          { name: "approver", sha256: sha256(approverKey), rpcs: ["read", "approve"], ...everything },
        ],
      }),
      // Updates of the demo's `platform` classifier wait for one approval (the other tests update `shop`).
      UPDATE_MANAGER_POLICIES_FILE: policiesFile(),
    },
  });
  pipeline = createClient(
    UpdateService,
    createGrpcTransport({
      baseUrl: server.apiUrl,
      interceptors: [
        (next) => (request) => {
          request.header.set("authorization", `Bearer ${pipelineKey}`);
          return next(request);
        },
      ],
    }),
  );
  // Playwright gives each launch a fresh temporary profile (user data dir) and removes it on close. Launched as a
  // server so that the run's process registry knows Chromium's process group: playwright's own clean-up runs at
  // process exit, which a vitest worker that is ended does not reach.
  browserServer = await chromium.launchServer({
    host: "127.0.0.1", // the server's websocket, which the connect below uses; loopback only
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  trackProcess(browserServer.process(), { group: true });
  browser = await chromium.connect(browserServer.wsEndpoint());
});

afterAll(async () => {
  await browser?.close();
  await browserServer?.close();
  await server?.stop();
});

beforeEach(async () => {
  context = await browser.newContext();
  pageErrors = [];
});

afterEach(async () => {
  await context?.close();
});

async function openDashboard(key?: string, hash = ""): Promise<Page> {
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error" && !expectedRefusal.test(message.text())) pageErrors.push(message.text());
  });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${server.apiUrl}/${hash}`);
  if (key !== undefined) {
    await page.getByLabel("API key").fill(key);
    await page.getByRole("button", { name: "Use key" }).click();
  }
  return page;
}

/** The text of the live view's state once it reads `state`. */
async function waitForState(page: Page, state: string, timeout = 90_000): Promise<void> {
  await page.locator("[data-testid=update-state]").filter({ hasText: new RegExp(`^${state}$`) }).waitFor({ timeout });
}

describe("the dashboard in a browser", () => {
  it("loads and lists the demo targets by classifier, with a filter", async () => {
    const page = await openDashboard(dashboardKey);
    const shop = page.locator("table[data-classifier=shop]");
    await shop.waitFor();
    const rows = await shop.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.querySelector("td")?.textContent));
    expect(rows).toEqual([
      "Deployment legacy/storefront",
      "CronJob shop/report",
      "Deployment shop/admin",
      "Deployment shop/web",
      "Deployment shop/worker",
      "Job shop/web-migrate",
    ]);
    expect(await shop.locator("tr[data-workload=web-migrate]").textContent()).toContain("migration (order 1)");
    expect(await shop.locator("tr[data-workload=web]").textContent()).toContain(`web: ${repo}:`);
    expect(await page.locator("table[data-classifier=platform]").count()).toBe(1);

    await page.getByLabel("Filter classifiers").fill("plat");
    await page.locator("table[data-classifier=shop]").waitFor({ state: "detached" });
    expect(await page.locator("table[data-classifier]").evaluateAll((ts) => ts.map((t) => t.getAttribute("data-classifier")))).toEqual([
      "platform",
    ]);
    // The quarantine list loads on its own request: wait for its answer, then check it is all there is.
    await page.getByTestId("quarantines").getByText("No image is quarantined.").waitFor();
    expect(await page.getByTestId("quarantines").textContent()).toBe("No image is quarantined.");
    expect(await page.getByTestId("auth-error").isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it("shows the demo's node upgrade plan demo-os with its nodes' phases, and shows it complete once its run is over", async () => {
    // The demo's plan starts with the server and takes about half a minute; the section is polled every 15 s.
    const page = await openDashboard(dashboardKey);
    const plan = page.getByTestId("plans").locator("article[data-plan=demo-os]");
    await plan.waitFor();
    expect(await plan.locator("h3").textContent()).toMatch(/^demo-os (pending|applying|complete)$/);
    expect(await plan.textContent()).toContain("registry.example.com/platform/os-upgrade at v1.2.0 (version v1.2.0), 1 at a time;");
    const phases = () =>
      plan.locator("tr[data-node]").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].slice(0, 3).map((td) => td.textContent)));
    for (const [node, phase] of await phases()) {
      expect(node).toMatch(/^demo-node-[123]$/);
      expect(["cordoning and draining", "upgrade Job running", "upgraded"]).toContain(phase);
    }
    await plan.getByTestId("plan-state").filter({ hasText: /^complete$/ }).waitFor({ timeout: 90_000 });
    // In the order the plan took them, which is the plan's choice: compared by name.
    expect((await phases()).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ["demo-node-1", "upgraded", "yes"],
      ["demo-node-2", "upgraded", "yes"],
      ["demo-node-3", "upgraded", "yes"],
    ]);
    expect(await plan.textContent()).toContain("3 upgraded, 0 applying.");
    expect(await page.locator("#plans-status").textContent()).toMatch(/^1 node upgrade plan\(s\)/);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it("sends the key as a header only, never in a URL, and keeps it for the tab", async () => {
    const page = await openDashboard();
    const seen: { url: string; authorization: string | undefined }[] = [];
    page.on("request", (request) => seen.push({ url: request.url(), authorization: request.headers().authorization }));
    await page.getByLabel("API key").fill(dashboardKey);
    await page.getByRole("button", { name: "Use key" }).click();
    await page.locator("table[data-classifier=shop]").waitFor();
    const rpcs = seen.filter((r) => r.url.includes("/updatemanager.v1.UpdateService/"));
    expect(rpcs.length).toBeGreaterThan(0);
    for (const rpc of rpcs) expect(rpc.authorization).toBe(`Bearer ${dashboardKey}`);
    expect(seen.some((r) => r.url.includes(dashboardKey))).toBe(false);
    expect(page.url()).not.toContain(dashboardKey);
    expect(await page.getByLabel("API key").inputValue()).toBe("");
    await page.reload();
    await page.locator("table[data-classifier=shop]").waitFor();
    expect(await page.locator("#key-status").textContent()).toMatch(/key is set for this tab/);
  });

  it("shows an update started by a pipeline progressing to SUCCEEDED in the live view", async () => {
    const { update } = await pipeline.update({ image: `${repo}:1.5.0`, classifier: "shop" });
    const id = update!.id;
    const page = await openDashboard(dashboardKey, `#/updates/${id}`);
    const live = page.getByTestId("live-update");
    await live.waitFor();
    expect(await live.locator("h2").textContent()).toBe(`Update ${id}`);

    await waitForState(page, "RUNNING");
    // Per-workload progress from workloadProgress events: replicas on the new template out of the desired count.
    await live.locator("[data-testid=live-workloads] tr[data-workload=web] progress[max='3']").waitFor({ timeout: 60_000 });
    await waitForState(page, "SUCCEEDED");

    const workloads = await live
      .locator("[data-testid=live-workloads] tbody tr")
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].slice(0, 2).map((td) => td.textContent)));
    expect(workloads).toEqual([
      ["Deployment legacy/storefront", "HEALTHY"],
      ["CronJob shop/report", "HEALTHY"],
      ["Deployment shop/web", "HEALTHY"],
      ["Deployment shop/worker", "HEALTHY"],
    ]);
    expect(await live.locator("[data-testid=live-workloads] tr[data-workload=web]").textContent()).toContain("3 updated");
    expect(await live.getByTestId("live-migrations").textContent()).toMatch(/Job shop\/web-migrate.*SUCCEEDED/);
    const log = await live.getByTestId("event-log").locator("li").allTextContents();
    expect(log[0]).toMatch(/Planned: 1 migration, 4 workloads$/);
    expect(log.some((line) => /Deployment shop\/web: \d updated · \d ready · \d available of 3$/.test(line))).toBe(true);
    expect(log.at(-1)).toMatch(/Finished: SUCCEEDED$/);
    expect(await live.getByTestId("stream-status").textContent()).toMatch(/^Finished/);
    expect(await live.getByTestId("rollback").count()).toBe(0);

    // Reachable from the recent updates too: the row's link opens the same live view.
    await page.getByRole("link", { name: "Close the live view" }).click();
    await live.waitFor({ state: "hidden" });
    await page.getByTestId("updates").getByRole("link", { name: `${repo}:1.5.0` }).click();
    await waitForState(page, "SUCCEEDED");
    expect(page.url()).toBe(`${server.apiUrl}/#/updates/${id}`);
    expect(pageErrors).toEqual([]);
  });

  it("shows a crash-looping update's rollback, ROLLED_BACK, and the quarantined image", async () => {
    const { update } = await pipeline.update({ image: `${repo}:2.0.0-broken`, classifier: "shop" });
    const page = await openDashboard(dashboardKey, `#/updates/${update!.id}`);
    const live = page.getByTestId("live-update");
    const rollback = live.getByTestId("rollback");
    await rollback.waitFor({ timeout: 90_000 });
    expect(await rollback.textContent()).toMatch(/Restoring\s*Deployment legacy\/storefront/);
    expect(await rollback.textContent()).toMatch(/Migrations not undone\s*Job shop\/web-migrate/);
    await waitForState(page, "ROLLED_BACK");
    expect(await rollback.textContent()).toContain("every changed workload runs its previous images again");
    expect(await live.locator("tr[data-workload=storefront]").textContent()).toMatch(/ROLLED_BACK.*CrashLoopBackOff/);
    expect(await live.getByTestId("update-reason").textContent()).toMatch(/CrashLoopBackOff/);
    expect(await live.getByTestId("event-log").locator("li").last().textContent()).toMatch(/Finished: ROLLED_BACK/);
    // The lists are read again when the update ends.
    await page.getByTestId("quarantines").getByText(`${repo}:2.0.0-broken`).waitFor({ timeout: 20_000 });
    await page.getByTestId("updates").locator(`tr[data-update-id="${update!.id}"]`).filter({ hasText: "ROLLED_BACK" }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it("says UNAUTHENTICATED clearly for a wrong key, and recovers once a valid key is entered", async () => {
    const page = await openDashboard("um_wrong_0123456789abcdef0123456789abcdef");
    const alert = page.getByRole("alert");
    await alert.filter({ hasText: "UNAUTHENTICATED" }).waitFor();
    expect(await alert.textContent()).toMatch(/the server did not accept the API key/);
    // The alert may come from another list's refusal before ListTargets' arrives: wait for the targets' own.
    await page.locator("#targets-status").filter({ hasText: /^UNAUTHENTICATED/ }).waitFor();
    expect(await page.locator("table[data-classifier]").count()).toBe(0);

    await page.getByLabel("API key").fill(dashboardKey);
    await page.getByRole("button", { name: "Use key" }).click();
    await page.locator("table[data-classifier=shop]").waitFor();
    await alert.waitFor({ state: "hidden" });
  });

  it("says UNAUTHENTICATED without a key when the server requires one", async () => {
    const page = await openDashboard(undefined, "#/updates/5ce5656b-8829-484a-b6a7-edcb2a16906d");
    await page.getByRole("alert").filter({ hasText: "UNAUTHENTICATED" }).waitFor();
    // The alert may come from a list's refusal before GetUpdate's: wait for the live view's own.
    await page.getByTestId("stream-status").filter({ hasText: /^UNAUTHENTICATED/ }).waitFor();
  });

  it("shows the lists read with a key entered while an anonymous read was still unanswered", async () => {
    // The page starts reading anonymously at once; a key typed before those answers arrive must win. Hold the
    // anonymous ListTargets until the key is in, so its late UNAUTHENTICATED arrives after the key change.
    const page = await context.newPage();
    let releaseAnonymous: () => void = () => {};
    const keyEntered = new Promise<void>((resolve) => {
      releaseAnonymous = resolve;
    });
    await page.route("**/updatemanager.v1.UpdateService/ListTargets", async (route) => {
      if (route.request().headers().authorization === undefined) await keyEntered;
      await route.continue();
    });
    await page.goto(`${server.apiUrl}/`);
    await page.getByLabel("API key").fill(dashboardKey);
    await page.getByRole("button", { name: "Use key" }).click();
    releaseAnonymous();
    await page.locator("table[data-classifier=shop]").waitFor();
    expect(await page.getByTestId("auth-error").isHidden()).toBe(true);
  });

  it("says PERMISSION_DENIED for what a valid key may not read, and shows what it may", async () => {
    const page = await openDashboard(targetsOnlyKey);
    await page.locator("table[data-classifier=shop]").waitFor();
    const alert = page.getByRole("alert");
    await alert.filter({ hasText: "may not list updates" }).waitFor();
    await alert.filter({ hasText: "may not list quarantines" }).waitFor();
    expect(await alert.textContent()).toMatch(/^PERMISSION_DENIED: this key may not list updates/);
  });
});

describe("approving in the dashboard", () => {
  it("refuses the requester's own approval visibly, and an approver's click moves the update on", async () => {
    const { update } = await pipeline.update({ image: "registry.example.com/platform/cache:7.2.5", classifier: "platform" });
    const id = update!.id;

    // The pipeline's key requested it: the server refuses its approval, and the page says so beside the buttons.
    const requesterPage = await openDashboard(pipelineKey, `#/updates/${id}`);
    await waitForState(requesterPage, "WAITING_FOR_APPROVAL");
    const approval = requesterPage.getByTestId("approval");
    await approval.getByRole("button", { name: "Approve" }).click();
    await approval.getByTestId("approval-status").filter({ hasText: /^PERMISSION_DENIED: / }).waitFor();
    expect(await approval.getByTestId("approval-status").textContent()).toMatch(/may not approve it; another principal must/);
    expect(await approval.getByTestId("approval-status").getAttribute("class")).toContain("error");
    await requesterPage.close();

    // A read-only key is refused for want of the approve scope.
    const reader = await openDashboard(dashboardKey, `#/updates/${id}`);
    await waitForState(reader, "WAITING_FOR_APPROVAL");
    await reader.getByRole("button", { name: "Approve" }).click();
    await reader.getByTestId("approval-status").filter({ hasText: /^PERMISSION_DENIED: .*approve scope/ }).waitFor();
    await reader.close();

    const approver = await openDashboard(approverKey, `#/updates/${id}`);
    await waitForState(approver, "WAITING_FOR_APPROVAL");
    await approver.getByRole("button", { name: "Approve" }).click();
    await waitForState(approver, "SUCCEEDED");
    expect(await approver.getByTestId("approval").isHidden()).toBe(true);
    const log = await approver.getByTestId("event-log").locator("li").allTextContents();
    expect(log.some((line) => /Approved by approver \(1 of 1\)$/.test(line))).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
