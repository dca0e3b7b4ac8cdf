import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./registry.js";

const run = promisify(execFile);

/**
 * The image scripts/image/build-image.sh built (the image tier's and the kube tier's prepare step run it), in the
 * script's private container store. Containers run with podman the way docs/notes for this machine require: runc
 * (crun fails on hybrid cgroups), explicit ulimits, host network (ports chosen through the image's variables).
 */
export interface BuiltImage {
  /** `localhost/update-manager:<hash of the inputs>`. */
  readonly ref: string;
  /** The environment podman, buildah and skopeo need to see the private store. */
  readonly env: NodeJS.ProcessEnv;
}

/** The cache directory of scripts/image/build-image.sh. */
export const imageCacheDir = process.env.UPDATE_MANAGER_IMAGE_CACHE ?? join(homedir(), ".cache/update-manager/image");

/** Reads what the last build wrote to `image.env`; fails saying how to build when nothing was built. */
export function builtImage(): BuiltImage {
  let text: string;
  try {
    text = readFileSync(join(imageCacheDir, "image.env"), "utf8");
  } catch {
    throw new Error(`no image built in ${imageCacheDir}: run bash scripts/image/build-image.sh`);
  }
  const vars = Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
  const ref = vars.UPDATE_MANAGER_IMAGE;
  const storage = vars.CONTAINERS_STORAGE_CONF;
  if (!ref || !storage) throw new Error(`${imageCacheDir}/image.env names no image: rebuild it`);
  return { ref, env: { ...process.env, CONTAINERS_STORAGE_CONF: storage } };
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a container tool (podman, skopeo) with the store's environment; resolves whatever the exit code. */
export async function containerTool(
  image: BuiltImage,
  tool: string,
  args: string[],
  timeoutMs = 120_000,
): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(tool, args, { env: image.env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof failed.code === "number" ? failed.code : -1,
      stdout: failed.stdout ?? "",
      stderr: failed.stderr ?? failed.message,
    };
  }
}

/** Like containerTool, but a non-zero exit is an error with the command and its output. */
export async function containerToolOk(image: BuiltImage, tool: string, args: string[], timeoutMs?: number): Promise<string> {
  const result = await containerTool(image, tool, args, timeoutMs);
  if (result.code !== 0) throw new Error(`${tool} ${args.join(" ")} exited with ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** The label of every container the tests start: the tiers' teardown removes what is left (container-teardown.ts). */
export const containerLabel = "io.update-manager.test";

/** podman's options for every container here: runc, the ulimits rootful podman needs on these machines, the label. */
export const podmanRunOptions = [
  "--runtime",
  "runc",
  "--ulimit",
  "nofile=20000:20000",
  "--ulimit",
  "nproc=32768:32768",
  "--label",
  containerLabel,
];

/** A read-only root without the tmpfs podman would add: the process must not need to write anywhere. */
export const readOnlyRootOptions = ["--read-only", "--read-only-tmpfs=false"];

export interface RunManagerOptions {
  /** Extra environment of the server. Default: none (the embedded cluster). */
  env?: Record<string, string>;
  /** Extra `podman run` options (mounts). Default: none. */
  podmanOptions?: string[];
  /** Bound on `/readyz` answering 200. Default: 60 000 ms. */
  readyTimeoutMs?: number;
}

/** A manager container on the host network, read-only root, as uid/gid 65532. */
export interface ManagerContainer {
  readonly name: string;
  readonly apiPort: number;
  readonly adminPort: number;
  readonly apiUrl: string;
  readonly adminUrl: string;
  /** `podman stop` (SIGTERM, SIGKILL after `timeoutSeconds`): the exit code and how long stopping took. */
  stop(timeoutSeconds?: number): Promise<{ exitCode: number; ms: number }>;
  logs(): Promise<string>;
  /** Removes the container (forcefully). Idempotent. */
  remove(): Promise<void>;
}

/**
 * Starts the image's server and waits until `/readyz` answers 200. A container that does not get ready is removed
 * before the error is thrown.
 */
export async function runManagerContainer(image: BuiltImage, options: RunManagerOptions = {}): Promise<ManagerContainer> {
  const [apiPort, adminPort] = [await freePort(), await freePort()];
  const name = `um-test-${randomBytes(4).toString("hex")}`;
  const env: Record<string, string> = {
    UPDATE_MANAGER_CLUSTER: "embedded",
    UPDATE_MANAGER_LISTENING_HOST: "127.0.0.1",
    UPDATE_MANAGER_LISTENING_PORT: String(apiPort),
    UPDATE_MANAGER_ADMIN_HOST: "127.0.0.1",
    UPDATE_MANAGER_ADMIN_PORT: String(adminPort),
    UPDATE_MANAGER_LOG_FORMAT: "json",
    ...options.env,
  };
  const remove = async () => {
    await containerTool(image, "podman", ["rm", "--force", "--time", "0", name]);
  };
  const container: ManagerContainer = {
    name,
    apiPort,
    adminPort,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    async stop(timeoutSeconds = 10) {
      const started = Date.now();
      await containerToolOk(image, "podman", ["stop", "--time", String(timeoutSeconds), name]);
      const ms = Date.now() - started;
      const exitCode = Number((await containerToolOk(image, "podman", ["inspect", "--format", "{{.State.ExitCode}}", name])).trim());
      return { exitCode, ms };
    },
    async logs() {
      const result = await containerTool(image, "podman", ["logs", name]);
      return result.stdout + result.stderr;
    },
    remove,
  };
  try {
    await containerToolOk(image, "podman", [
      "run",
      "--detach",
      "--name",
      name,
      ...podmanRunOptions,
      "--network",
      "host",
      ...readOnlyRootOptions,
      "--user",
      "65532:65532",
      ...Object.entries(env).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
      ...(options.podmanOptions ?? []),
      image.ref,
    ]);
    await waitReady(container, options.readyTimeoutMs ?? 60_000, image);
    return container;
  } catch (error) {
    const logs = await container.logs().catch(() => "");
    await remove();
    throw new Error(`${(error as Error).message}\ncontainer log:\n${logs.split("\n").slice(-30).join("\n")}`);
  }
}

async function waitReady(container: ManagerContainer, timeoutMs: number, image: BuiltImage): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const response = await fetch(`${container.adminUrl}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(
      (error: unknown) => error as Error,
    );
    if (!(response instanceof Error)) {
      const body = await response.text();
      if (response.status === 200) return;
      last = `${response.status} ${body}`;
    } else {
      last = response.message;
      const state = await containerTool(image, "podman", ["inspect", "--format", "{{.State.Status}}", container.name]);
      if (state.stdout.trim() === "exited") throw new Error(`the container exited before it was ready`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the container was not ready within ${timeoutMs} ms (last /readyz: ${last})`);
}
