import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { trackProcess } from "./process-registry.js";

export interface ServerProcess {
  readonly apiPort: number;
  readonly adminPort: number;
  /** `http://127.0.0.1:<api port>` */
  readonly apiUrl: string;
  readonly adminUrl: string;
  readonly child: ChildProcess;
  /** Every JSON log line so far. */
  readonly logs: Record<string, unknown>[];
  /** SIGTERM, then the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export interface StartServerOptions {
  /** Extra environment (merged over a minimal one that selects the embedded cluster and port 0). */
  env?: Record<string, string>;
  /** How long to wait for both ports. Default 20 s. */
  timeoutMs?: number;
  /** The node arguments that start the server. Default: `serverEntryArgs` (the production entry point). */
  nodeArgs?: readonly string[];
  /** The working directory (the package root the arguments are relative to). Default: this process's. */
  cwd?: string;
}

/**
 * The production entry point's node arguments (`npm run serve`): the compiled server from dist/, no TypeScript
 * loader, no bundler. The e2e, kube and browser tiers build dist/ once per run (test/support/build-once.ts).
 */
export const serverEntryArgs = ["--enable-source-maps", "--max-semi-space-size=2", "--import", "./dist/src/telemetry/preload.js", "./dist/src/main.js"];

/**
 * Starts the real server (as `npm run serve` does) on ephemeral loopback ports and
 * waits for its `api server listening` and `admin server listening` log lines.
 */
export async function startServer(options: StartServerOptions = {}): Promise<ServerProcess> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    UPDATE_MANAGER_CLUSTER: "embedded",
    UPDATE_MANAGER_LISTENING_HOST: "127.0.0.1",
    UPDATE_MANAGER_LISTENING_PORT: "0",
    UPDATE_MANAGER_ADMIN_PORT: "0",
    UPDATE_MANAGER_LOG_FORMAT: "json",
    UPDATE_MANAGER_LOG_LEVEL: "info",
    ...options.env,
  };
  const child = spawn(process.execPath, options.nodeArgs ?? serverEntryArgs, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  trackProcess(child);
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const ports: { api?: number; admin?: number } = {};
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start within ${options.timeoutMs ?? 20_000} ms\n${stderr}`)),
      options.timeoutMs ?? 20_000,
    );
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening\n${stderr}`));
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.msg === "api server listening") ports.api = Number(entry.port);
      if (entry.msg === "admin server listening") ports.admin = Number(entry.port);
      if (ports.api !== undefined && ports.admin !== undefined) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  try {
    await ready;
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const apiPort = ports.api!;
  const adminPort = ports.admin!;
  return {
    apiPort,
    adminPort,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    child,
    logs,
    async stop(timeoutMs = 10_000) {
      const started = Date.now();
      if (child.exitCode !== null || child.signalCode !== null) {
        return { code: child.exitCode, signal: child.signalCode, ms: 0 };
      }
      const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const [code, signal] = await exited;
      clearTimeout(killer);
      return { code, signal, ms: Date.now() - started };
    },
  };
}
