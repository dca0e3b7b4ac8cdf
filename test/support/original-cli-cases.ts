import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Update } from "../../gen/updatemanager/v1/update_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { type OriginalCliRun, pollOnce, runOriginalCli } from "./original-cli.js";

/**
 * The pipelines of issue 15, run with the original CLI's client against a running manager: the
 * same cases on the embedded cluster (e2e) and on the real control plane (kube).
 */
export interface OriginalCliTarget {
  /** `http://127.0.0.1:<api port>` */
  readonly apiUrl: string;
  /** The full-scope key every pipeline shares, as the original's deployments did. */
  readonly apiKey: string;
  /**
   * Another full-scope key, for the single pipelines (success, rollback, nothing matched): they run one
   * after another in seconds, and would otherwise spend the shared key's write budget (5 at once, 10 a
   * minute) that the five pipelines need.
   */
  readonly singleKey: string;
  /** A classifier with workloads (and possibly a migration) on `repository`. */
  readonly classifier: string;
  /** `registry/…/name` the classifier's workloads run. */
  readonly repository: string;
  /** A tag whose pods never become ready (the update rolls back). */
  readonly brokenTag: string;
  /** How long one update may take here. */
  readonly updateTimeoutMs: number;
}

export function updateClient(target: OriginalCliTarget): Client<typeof UpdateService> {
  return createClient(UpdateService, createConnectTransport({ baseUrl: target.apiUrl, httpVersion: "1.1" }));
}

async function getUpdate(target: OriginalCliTarget, id: string): Promise<Update> {
  const { update } = await updateClient(target).getUpdate({ updateId: id }, { headers: { authorization: `Bearer ${target.apiKey}` } });
  if (update === undefined) throw new Error(`no update ${id}`);
  return update;
}

const run = (target: OriginalCliTarget, image: string, apiKey = target.apiKey, classifier = target.classifier) =>
  runOriginalCli({ url: `${target.apiUrl}/updates`, apiKey, image, classifier, timeoutMs: target.updateTimeoutMs });

export async function succeeds(target: OriginalCliTarget, tag: string): Promise<OriginalCliRun> {
  const result = await run(target, `${target.repository}:${tag}`, target.singleKey);
  expect(result.output).toContain("The update was successful");
  expect(result.exitCode).toBe(0);
  expect(result.last?.status).toMatchObject({ finished: true, failed: false, successful: true });
  expect(result.last?.counts.deployments.total).toBeGreaterThan(0);
  expect(result.last?.counts.deployments.updated).toBe(result.last?.counts.deployments.total);
  return result;
}

/** A rolled-back update exits 1; the image is then quarantined: the same request again exits 1, the reason readable in GET. */
export async function rollsBackThenQuarantined(target: OriginalCliTarget): Promise<void> {
  const result = await run(target, `${target.repository}:${target.brokenTag}`, target.singleKey);
  expect(result.exitCode).toBe(1);
  expect(result.last?.status).toMatchObject({ finished: true, failed: true, successful: false });
  expect((await getUpdate(target, result.uuid!)).reason).not.toBe("");

  const quarantined = await run(target, `${target.repository}:${target.brokenTag}`, target.singleKey);
  expect(quarantined.exitCode).toBe(1);
  const polled = await pollOnce(`${target.apiUrl}/updates`, target.singleKey, quarantined.uuid!);
  expect(polled.update?.reason).toMatch(/^IMAGE_QUARANTINED: /);
}

export async function nothingMatched(target: OriginalCliTarget): Promise<void> {
  const result = await run(target, `${target.repository}-nobody-uses-this:1.0.0`, target.singleKey);
  expect(result.exitCode).toBe(0);
  expect(result.last).toMatchObject({
    counts: { jobs: { total: 0, updated: 0 }, deployments: { total: 0, updated: 0 } },
    status: { finished: true, failed: false, successful: true },
  });
}

/** A key without permission: exit 1, the reason readable in GET (by that key: it created the update). */
export async function deniedAsFailed(target: OriginalCliTarget, keyWithoutPermission: string): Promise<void> {
  const denied = await run(target, `${target.repository}:9.9.9`, keyWithoutPermission);
  expect(denied.exitCode).toBe(1);
  const deniedPoll = await pollOnce(`${target.apiUrl}/updates`, keyWithoutPermission, denied.uuid!);
  expect(deniedPoll.status).toBe(200);
  expect(deniedPoll.update?.reason).toMatch(/^PERMISSION_DENIED: /);
}

/**
 * Five pipelines with one key, started one second apart on one classifier, each with its own image:
 * all exit 0, each is applied after the one before (it replaced that one's image), and the
 * workloads end on the fifth image.
 */
export async function fivePipelinesInOrder(target: OriginalCliTarget, tagPrefix: string): Promise<string[]> {
  const tags = [1, 2, 3, 4, 5].map((n) => `${tagPrefix}.${n}`);
  const runs: Promise<OriginalCliRun>[] = [];
  for (const tag of tags) {
    runs.push(run(target, `${target.repository}:${tag}`));
    if (tag !== tags.at(-1)) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const results = await Promise.all(runs);
  const reasons = await Promise.all(results.map(async (result) => (result.uuid === undefined ? "no update" : (await getUpdate(target, result.uuid)).reason)));
  expect(results.map((result) => result.exitCode), reasons.join("; ")).toEqual([0, 0, 0, 0, 0]);
  expect(results.flatMap((result) => result.pollStatuses).filter((status) => status !== 200)).toEqual([]);
  const updates = await Promise.all(results.map((result) => getUpdate(target, result.uuid!)));
  for (const [index, update] of updates.entries()) {
    const changed = update.workloads.flatMap((workload) => workload.containers.filter((container) => !container.unchanged));
    expect(changed.length).toBeGreaterThan(0);
    for (const container of changed) expect(container.newImage).toBe(`${target.repository}:${tags[index]}`);
    if (index === 0) continue;
    // Planned when its turn came: it replaced the image of the update before it.
    for (const container of changed) expect(container.currentImage).toBe(`${target.repository}:${tags[index - 1]}`);
    const before = updates[index - 1]!;
    expect(Number(update.startTime!.seconds) * 1000 + update.startTime!.nanos / 1e6).toBeGreaterThanOrEqual(
      Number(before.finishTime!.seconds) * 1000 + before.finishTime!.nanos / 1e6,
    );
  }
  return tags;
}

/**
 * Ten clients with one key poll an update of theirs once a second for 15 s while it runs (the
 * original CLI's GET): never a 429, never a crash.
 */
export async function tenPollersFor15s(target: OriginalCliTarget, tag: string): Promise<void> {
  const created = await fetch(`${target.apiUrl}/updates`, {
    method: "POST",
    headers: { Authorization: `APIKey ${target.apiKey}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams([
      ["image", `${target.repository}:${tag}`],
      ["update_classifier", target.classifier],
    ]).toString(),
  });
  expect(created.status).toBe(201);
  const { uuid } = (await created.json()) as { uuid: string };
  const statuses = await Promise.all(
    Array.from({ length: 10 }, async () => {
      const seen: number[] = [];
      for (let second = 0; second < 15; second++) {
        seen.push((await pollOnce(`${target.apiUrl}/updates`, target.apiKey, uuid)).status);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      return seen;
    }),
  );
  expect(statuses.flat()).toHaveLength(150);
  expect(statuses.flat().filter((status) => status !== 200)).toEqual([]);
}

/** A keys file: `platform-ci` may only update classifier `platform`; `single-ci` may do everything. */
export function originalCliKeysFile(platformKey: string, singleKey: string): string {
  const sha256 = (key: string) => createHash("sha256").update(key).digest("hex");
  return [
    "keys:",
    "  - name: platform-ci",
    `    sha256: ${sha256(platformKey)}`,
    "    rpcs: [Update, GetUpdate]",
    "    classifiers: [platform]",
    '    namespaces: "*"',
    '    repositories: "*"',
    "  - name: single-ci",
    `    sha256: ${sha256(singleKey)}`,
    '    rpcs: ["*"]',
    '    classifiers: "*"',
    '    namespaces: "*"',
    '    repositories: "*"',
    "",
  ].join("\n");
}

/**
 * The cases of issue 15 in one suite, for both tiers. The five pipelines run first, on the shared key's
 * full write budget; `afterFive` checks the cluster itself when the tier can.
 */
export function originalCliSuite(
  title: string,
  target: () => OriginalCliTarget,
  platformKey: string,
  afterFive: (tags: readonly string[]) => Promise<void> = async () => undefined,
): void {
  describe(title, () => {
    it("five pipelines with one key, one second apart: all exit 0, applied in order, the fifth image wins", async () => {
      await afterFive(await fivePipelinesInOrder(target(), "3.0"));
    }, 300_000);

    it("exits 0 for a successful update", async () => {
      await succeeds(target(), "1.5.0");
    }, 150_000);

    it("exits 1 for a rolled-back update, and 1 for its quarantined image, the reason visible in GET", async () => {
      await rollsBackThenQuarantined(target());
    }, 150_000);

    it("exits 0 when nothing matched, with a finished update of zero counts", async () => {
      await nothingMatched(target());
    }, 30_000);

    it("exits 1 for a key without permission, the reason visible in GET", async () => {
      await deniedAsFailed(target(), platformKey);
    }, 30_000);

    it("ten clients polling with one key for 15 s: no 429, no crash", async () => {
      await tenPollersFor15s(target(), "4.0.0");
    }, 60_000);
  });
}
