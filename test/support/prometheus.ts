import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trackProcess } from "./process-registry.js";

/** Debian's `prometheus` (package `prometheus`, installed by scripts/test.sh prepare_ops). */
export const prometheusBinary = process.env.UPDATE_MANAGER_PROMETHEUS ?? "/usr/bin/prometheus";

/** One sample of an instant query's answer. */
export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** The answer of `/api/v1/query`: status `error` with a message, or the result vector. */
export type QueryAnswer =
  | { readonly status: "success"; readonly data: { readonly resultType: string; readonly result: PromSample[] } }
  | { readonly status: "error"; readonly errorType: string; readonly error: string };

export interface PrometheusProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** An instant query through the HTTP API. */
  query(expr: string): Promise<QueryAnswer>;
  /** Polls `expr` until `accept` takes its samples (bounded); resolves with them, rejects with the last answer. */
  waitFor(expr: string, accept: (samples: PromSample[]) => boolean, timeoutMs?: number): Promise<PromSample[]>;
  /** SIGTERM (SIGKILL after 10 s), then removes its storage. */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** host:port targets scraped every second on /metrics. */
  readonly targets: readonly string[];
  /** How long to wait for /-/ready. Default: 30 000 ms. */
  readonly timeoutMs?: number;
  /** Rule groups (Prometheus's rule file format, as an object), evaluated every second. Default: none. */
  readonly ruleGroups?: readonly Record<string, unknown>[];
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/**
 * Starts Prometheus on 127.0.0.1 with its own storage directory, scraping `targets` every second, and waits until it
 * is ready. Recorded in the run's process registry, so a failed test's leftover is stopped at the end of the run.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusProcess> {
  const dir = mkdtempSync(join(tmpdir(), "um-prometheus-"));
  const rules = options.ruleGroups === undefined ? [] : [join(dir, "rules.yml")];
  if (options.ruleGroups !== undefined) writeFileSync(join(dir, "rules.yml"), JSON.stringify({ groups: options.ruleGroups }));
  writeFileSync(
    join(dir, "prometheus.yml"),
    JSON.stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      ...(rules.length === 0 ? {} : { rule_files: rules }),
      scrape_configs: [{ job_name: "update-manager", static_configs: [{ targets: options.targets }] }],
    }),
  );
  const port = await freePort();
  const child = spawn(
    prometheusBinary,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  trackProcess(child, { group: true });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      process.kill(-child.pid!, "SIGTERM");
      const killer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}:\n${stderr}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within ${options.timeoutMs ?? 30_000} ms:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // polling its readiness, not synchronising on time
  }
  const query = async (expr: string): Promise<QueryAnswer> => {
    const response = await fetch(`${url}/api/v1/query`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query: expr }),
    });
    return (await response.json()) as QueryAnswer;
  };
  return {
    url,
    query,
    async waitFor(expr, accept, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const answer = await query(expr);
        if (answer.status === "success" && accept(answer.data.result)) return answer.data.result;
        if (Date.now() > until) throw new Error(`${expr}: not as expected within ${timeoutMs} ms: ${JSON.stringify(answer)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    stop,
  };
}
