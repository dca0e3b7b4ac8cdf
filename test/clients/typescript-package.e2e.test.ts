import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../support/server-process.js";

const run = promisify(execFile);
const root = resolve(".");
const apiKey = randomBytes(16).toString("hex");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

let work: string;
let app: string;
let server: ServerProcess;

/** `npm pack` of clients/typescript, installed from the tarball into a new project outside the repository. */
async function installPackedClient(): Promise<void> {
  work = await mkdtemp(join(tmpdir(), "um-ts-client-"));
  app = join(work, "app");
  await mkdir(app);
  await run(npm, ["pack", "--silent", "--pack-destination", work], { cwd: join(root, "clients/typescript"), timeout: 120_000 });
  const tarball = (await readdir(work)).find((name) => name.endsWith(".tgz"));
  if (tarball === undefined) throw new Error(`npm pack left no tarball in ${work}`);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "pipeline", private: true, type: "module" }));
  // Its dependencies come from the npm cache that `npm ci` filled (the registry only when missing). A traced
  // pipeline adds the optional peer @opentelemetry/api and a context manager, at the versions the server uses.
  const { dependencies } = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const otel = ["@opentelemetry/api", "@opentelemetry/context-async-hooks"].map((name) => `${name}@${dependencies[name]}`);
  await run(
    npm,
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", join(work, tarball), ...otel],
    { cwd: app, timeout: 180_000 },
  );
}

beforeAll(async () => {
  // One after the other: packing compiles the package, which would slow the server's start on a busy machine.
  await installPackedClient();
  server = await startServer({ env: { UPDATE_MANAGER_API_KEY: apiKey }, timeoutMs: 60_000 });
}, 300_000);

afterAll(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs an ES module in the new project, resolving packages the way node does for it. */
async function inApp(code: string): Promise<string> {
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", code], { cwd: app, timeout: 90_000 });
  return stdout.trim();
}

describe("the TS client as a package installed from its tarball", () => {
  it("runs an update to SUCCEEDED with updateAndWait: exit code 0, every event in order", async () => {
    const out = await inApp(`
      import { createUpdateClient, updateAndWait, UpdateState } from "@update-manager/client";
      const client = createUpdateClient({ url: ${JSON.stringify(server.apiUrl)}, apiKey: ${JSON.stringify(apiKey)} });
      const kinds = [];
      const outcome = await updateAndWait(client, { image: "registry.example.com/shop/web:1.8.0", classifier: "shop" },
        { onEvent: (event) => kinds.push(event.kind.case) });
      console.log(JSON.stringify({ exitCode: outcome.exitCode, state: UpdateState[outcome.state], id: outcome.updateId, kinds }));
    `);
    const outcome = JSON.parse(out) as { exitCode: number; state: string; id: string; kinds: string[] };
    expect(outcome).toMatchObject({ exitCode: 0, state: "SUCCEEDED" });
    expect(outcome.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(outcome.kinds[0]).toBe("planned");
    expect(outcome.kinds.at(-1)).toBe("finished");
  });

  it("answers with the CLI's exit codes: 2 for a malformed image, 5 for a wrong credential, 3 for a rollback", async () => {
    const out = await inApp(`
      import { createUpdateClient, updateAndWait } from "@update-manager/client";
      const url = ${JSON.stringify(server.apiUrl)};
      const client = createUpdateClient({ url, apiKey: ${JSON.stringify(apiKey)} });
      const malformed = await updateAndWait(client, { image: "NOT AN IMAGE", classifier: "shop" });
      const anonymous = await updateAndWait(createUpdateClient({ url, apiKey: "not-the-key", protocol: "connect" }),
        { image: "registry.example.com/shop/web:1.9.0", classifier: "shop" });
      const broken = await updateAndWait(client, { image: "registry.example.com/shop/web:1.9.0-broken", classifier: "shop" });
      console.log(JSON.stringify([malformed.exitCode, anonymous.exitCode, broken.exitCode]));
    `);
    expect(JSON.parse(out)).toEqual([2, 5, 3]);
  });

  it("continues the pipeline's trace with the interceptor of @update-manager/client/tracing: the update's trace id is the span's", async () => {
    const pipelineTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const out = await inApp(`
      import { context, trace, TraceFlags } from "@opentelemetry/api";
      import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
      import { createUpdateClient, updateAndWait } from "@update-manager/client";
      import { createTraceContextInterceptor } from "@update-manager/client/tracing";
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      const client = createUpdateClient({ url: ${JSON.stringify(server.apiUrl)}, apiKey: ${JSON.stringify(apiKey)},
        interceptors: [createTraceContextInterceptor()] });
      const deploy = trace.wrapSpanContext({ traceId: "${pipelineTraceId}", spanId: "00f067aa0ba902b7", traceFlags: TraceFlags.SAMPLED });
      const outcome = await context.with(trace.setSpan(context.active(), deploy), () =>
        updateAndWait(client, { image: "registry.example.com/shop/web-admin:2.2.0", classifier: "shop" }));
      const { update } = await client.getUpdate({ updateId: outcome.updateId });
      console.log(JSON.stringify({ exitCode: outcome.exitCode, traceId: update.traceId }));
    `);
    expect(JSON.parse(out)).toEqual({ exitCode: 0, traceId: pipelineTraceId });
  });

  it("gives TypeScript consumers its declarations, with its own dependencies", async () => {
    await writeFile(
      join(app, "pipeline.ts"),
      `import { createUpdateClient, updateAndWait, type UpdateOutcome } from "@update-manager/client";
       import { UpdateService } from "@update-manager/client/gen/updatemanager/v1/update_service_pb.js";
       const client = createUpdateClient({ url: "http://localhost:9000" });
       export const outcome: Promise<UpdateOutcome> = updateAndWait(client, { image: "x", classifier: "y" });
       export const name: string = UpdateService.typeName;\n`,
    );
    await writeFile(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2023", strict: true, noEmit: true, types: [] },
        files: ["pipeline.ts"],
      }),
    );
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    const result = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: app, timeout: 60_000 }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code?: unknown; stdout?: string }) => ({ code: error.code, stdout: error.stdout ?? String(error) }),
    );
    expect(result, result.stdout).toEqual({ code: 0, stdout: "" });
  });
});
