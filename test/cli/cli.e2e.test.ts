import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../support/server-process.js";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/update-manager.js as a pipeline would: no terminal, a minimal environment. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/update-manager.js", ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), 100_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

const repo = "registry.example.com/shop/web";
const idOf = (text: string) => /update ([0-9a-f-]{36})/.exec(text)?.[1];
const jsonLines = (text: string) => text.split("\n").filter(Boolean).map((line) => JSON.parse(line));

describe("update-manager CLI against the real server (insecure demo)", () => {
  let server: ServerProcess;
  let url: string;
  beforeAll(async () => {
    server = await startServer();
    url = server.apiUrl;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("lists the targets of a classifier", async () => {
    const run = await cli(["targets", "--classifier", "shop", "--url", url]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^TARGET\s+ROLE\s+CLASSIFIER/);
    expect(run.stdout).toMatch(/deployment shop\/web\s+workload\s+shop\s+complete/);
    expect(run.stdout).toMatch(/job shop\/web-migrate\s+migration/);
  });

  it("update --wait follows a good image to SUCCEEDED and exits 0, one plain line per event", async () => {
    const run = await cli(["update", "--image", `${repo}:1.5.0`, "--classifier", "shop", "--wait", "--url", url]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^update [0-9a-f-]{36} PENDING: registry.example.com\/shop\/web:1.5.0 for classifier shop/);
    expect(lines).toContain("[1] planned: 1 migration, 4 workloads");
    expect(lines).toContain(`[4] deployment legacy/storefront patched: storefront: ${repo}:1.4.2 -> ${repo}:1.5.0`);
    expect(lines.at(-2)).toMatch(/^\[\d+\] finished: SUCCEEDED$/);
    expect(lines.at(-1)).toBe(`update ${idOf(run.stdout)} SUCCEEDED`);
    expect(run.stdout).not.toContain("\x1b");
  });

  it("continues the pipeline's trace from TRACEPARENT, on a server that exports no traces: the update's trace id is the pipeline's", async () => {
    const pipelineTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    // Deployment shop/admin, the one target of web-admin: one short rollout.
    const run = await cli(["update", "--image", "registry.example.com/shop/web-admin:2.1.0", "--classifier", "shop", "--wait", "--url", url], {
      TRACEPARENT: `00-${pipelineTraceId}-00f067aa0ba902b7-01`,
    });
    expect(run.code, run.stderr).toBe(0);
    const id = idOf(run.stdout);
    // The server's log lines about the update (its update_id) carry the pipeline's trace id; the last one may reach
    // the log a moment after the CLI saw the update finish.
    const about = () => server.logs.filter((line) => line.update_id === id);
    for (const started = Date.now(); !about().some((line) => line.msg === "update finished") && Date.now() - started < 10_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lines = about();
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(["update started", "update finished"]));
    for (const line of lines) expect(line.trace_id, JSON.stringify(line)).toBe(pipelineTraceId);
  });

  it("exits 3 when a crash-looping image is rolled back", async () => {
    const run = await cli(["update", "--image", `${repo}:1.6.0-broken`, "--classifier", "shop", "--wait", "--url", url]);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/rollback started: Deployment legacy\/storefront failed: .*CrashLoopBackOff/);
    expect(run.stdout).toContain("rollback finished: every changed workload runs its previous images again");
    expect(run.stderr).toMatch(/^update [0-9a-f-]{36} ROLLED_BACK: /);
  });

  it("exits 4 at --wait-timeout with the id, and watch ID follows the same update to its end", async () => {
    const run = await cli([
      "update",
      "--image",
      `${repo}:1.7.0`,
      "--classifier",
      "shop",
      "--wait-timeout",
      "1s",
      "--output",
      "json",
      "--url",
      url,
    ]);
    expect(run.code).toBe(4);
    const lines = jsonLines(run.stdout);
    const id = lines[0].update.id as string;
    expect(lines.at(-1).result).toMatchObject({ exitCode: 4, updateId: id, waitTimedOut: true });
    expect(lines.at(-1).result.message).toContain(`update-manager watch ${id}`);

    // The update was not cancelled: watching it shows it succeed.
    const watch = await cli(["watch", id, "--url", url]);
    expect(watch.code).toBe(0);
    expect(watch.stdout).toMatch(/^update [0-9a-f-]{36} (PENDING|RUNNING)/);
    expect(watch.stdout).toContain("[1] planned: 1 migration, 4 workloads");
    expect(watch.stdout.trim().split("\n").at(-1)).toBe(`update ${id} SUCCEEDED`);
    expect(watch.stdout).not.toContain("CANCEL");
  });

  it("runs the original CLI's command line: --url …/updates, --update-classifier, environment names", async () => {
    const run = await cli(["update", "--url", `${url}/updates`, "--update-classifier", "shop"], {
      UPDATE_MANAGER_IMAGE: `${repo}:1.8.0`,
    });
    expect(run.code).toBe(0);
    const id = idOf(run.stdout);
    expect(id).toBeDefined();
    expect(run.stdout).toContain(`update-manager watch ${id}`);
    const watch = await cli(["watch", id ?? "", "-o", "json"], { UPDATE_MANAGER_URL: `${url}/updates` });
    expect(watch.code).toBe(0);
    const lines = jsonLines(watch.stdout);
    expect(lines.at(-1).result).toMatchObject({ exitCode: 0, updateId: id, state: "UPDATE_STATE_SUCCEEDED" });
    expect(lines.filter((line) => line.event?.finished !== undefined)).toHaveLength(1);
  });

  it("reuses the update when the same CI job attempt runs update again (derived idempotency key)", async () => {
    const ci = { GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "4242", GITHUB_RUN_ATTEMPT: "1", GITHUB_JOB: "deploy" };
    const args = ["update", "--image", `${repo}:1.9.0`, "--classifier", "shop", "--url", url, "-o", "json"];
    const first = await cli(args, ci);
    const second = await cli(args, ci);
    expect([first.code, second.code]).toEqual([0, 0]);
    const [a, b] = [jsonLines(first.stdout)[0].update, jsonLines(second.stdout)[0].update];
    expect(b.id).toBe(a.id);
    expect(a.idempotencyKey).toMatch(/^github:4242:1:deploy:/);
    // Let it finish before the next test touches the same workloads.
    expect((await cli(["watch", a.id, "--url", url])).code).toBe(0);
  });

  it("exits 2 for an invalid image, with the server's reason", async () => {
    const run = await cli(["update", "--image", "Not An Image", "--classifier", "shop", "--url", url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: invalid_argument (INVALID_ARGUMENT): ");
    expect(run.stdout).toBe("");
  });

  it("exits 2 for an unknown update id and for a classifier nothing opted in with", async () => {
    const watch = await cli(["watch", "00000000-0000-4000-8000-000000000000", "--url", url]);
    expect(watch.code).toBe(2);
    expect(watch.stderr).toContain("UPDATE_NOT_FOUND");
    const update = await cli(["update", "--image", `${repo}:2.0.0`, "--classifier", "nobody", "--url", url]);
    expect(update.code).toBe(2);
    expect(update.stderr).toContain("NO_TARGETS");
  });

  it("lists the updates it made, newest first, over each protocol", async () => {
    for (const protocol of ["connect", "grpc", "grpc-web"]) {
      const run = await cli(["updates", "--classifier", "shop", "--url", url, "--protocol", protocol]);
      expect(run.code, `${protocol}: ${run.stderr}`).toBe(0);
      const rows = run.stdout.trim().split("\n").slice(1);
      expect(rows[0]).toMatch(/SUCCEEDED\s+shop\s+registry.example.com\/shop\/web:1.9.0/);
      expect(rows.some((row) => /ROLLED_BACK\s+shop\s+registry.example.com\/shop\/web:1.6.0-broken/.test(row))).toBe(true);
    }
    const json = await cli(["updates", "--state", "rolled-back", "--url", url, "-o", "json"]);
    const updates = jsonLines(json.stdout).filter((line) => line.update !== undefined);
    expect(updates.map((line) => line.update.image)).toEqual([`${repo}:1.6.0-broken`]);
  });

  it("lists the embedded demo's node upgrade plan and follows plans watch demo-os to its completion, exit 0", async () => {
    const list = await cli(["plans", "--url", url]);
    expect(list.stderr).toBe("");
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^PLAN\s+STATE\s+LATEST/);
    expect(list.stdout).toMatch(/^demo-os\s+(pending|applying|complete)\s+v1\.2\.0\s/m);
    // From the first event, whether the demo's run (about half a minute from the server's start) is over or not.
    const watch = await cli(["plans", "watch", "demo-os", "--url", url]);
    expect(watch.stderr).toBe("");
    expect(watch.code).toBe(0);
    const lines = watch.stdout.trim().split("\n");
    const events = lines.map((line) => /^\[(\d+)\] (.*)$/.exec(line)).filter((match) => match !== null);
    expect(events.map((match) => Number(match[1]))).toEqual(events.map((_, index) => index + 1));
    for (const node of ["demo-node-1", "demo-node-2", "demo-node-3"]) {
      const steps = events.map((match) => match[2]!).filter((text) => text.startsWith(`${node}: `));
      expect(steps[0], node).toBe(`${node}: selected`);
      expect(steps.filter((text) => text.startsWith(`${node}: upgrade Job succeeded`)), node).toHaveLength(1);
      expect(steps.at(-1), node).toBe(`${node}: uncordoned`);
    }
    expect(events.at(-1)?.[2]).toMatch(/^plan complete/);
    const after = await cli(["plans", "--url", url]);
    expect(after.stdout).toMatch(/^demo-os\s+complete\s+v1\.2\.0\s+-\s+3\s/m);
  }, 120_000);

  it("prints help per command and exits 2 on a usage error", async () => {
    const help = await cli(["update", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--wait-timeout D");
    const usage = await cli(["update", "--image", `${repo}:1.5.0`]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Run "update-manager update --help" for usage.');
  });
});

describe("update-manager CLI against a server that requires a key", () => {
  const key = "cli-e2e-key-0123456789abcdef0123456789";
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ env: { UPDATE_MANAGER_API_KEY: key, UPDATE_MANAGER_INSECURE_DEMO: "false" } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("exits 5 with a wrong key or none, and works with the right one", async () => {
    const args = ["update", "--image", `${repo}:1.5.0`, "--classifier", "shop", "--dry-run", "--url", server.apiUrl];
    const wrong = await cli([...args, "--api-key", "wrong-key-0123456789abcdef0123456789"]);
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toContain("UNAUTHENTICATED");
    expect(wrong.stderr).not.toContain("wrong-key");
    const none = await cli(args);
    expect(none.code).toBe(5);
    const right = await cli(args, { UPDATE_MANAGER_API_KEY: key });
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout).toContain("dry run: registry.example.com/shop/web:1.5.0 for classifier shop would change:");
  });

  it("sends a CI identity token from --id-token-file as a bearer credential", async () => {
    const { mkdtemp, writeFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(join(tmpdir(), "um-cli-"));
    // The server has only the single key configured: the token file carrying it proves the header is sent.
    await writeFile(join(dir, "token"), `${key}\n`);
    const ok = await cli(["targets", "--url", server.apiUrl, "--id-token-file", join(dir, "token")]);
    expect(ok.code, ok.stderr).toBe(0);
    const missing = await cli(["targets", "--url", server.apiUrl, "--id-token-file", join(dir, "absent")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--id-token-file: cannot read");
  });
});
