import { execFile } from "node:child_process";
import { realpath } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsumerPackage, createConsumerPackage } from "./consumer-package.js";

const run = promisify(execFile);
let consumer: ConsumerPackage;

beforeAll(async () => {
  consumer = await createConsumerPackage();
}, 120_000);

afterAll(async () => {
  await consumer?.cleanup();
});

/** Runs an ES module in the consumer's directory, resolving packages the way node does for it. */
async function inConsumer(code: string): Promise<string> {
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", code], {
    cwd: consumer.app,
    timeout: 30_000,
  });
  return stdout.trim();
}

describe("the package's exports, as another package imports them", () => {
  it("resolve update-manager/gen/… to compiled JavaScript that node runs", async () => {
    const specifier = "update-manager/gen/updatemanager/v1/update_service_pb.js";
    const out = await inConsumer(
      `const m = await import(${JSON.stringify(specifier)});
       console.log(JSON.stringify({ url: import.meta.resolve(${JSON.stringify(specifier)}), service: m.UpdateService.typeName,
         methods: m.UpdateService.methods.map((x) => x.name) }));`,
    );
    const answer = JSON.parse(out) as { url: string; service: string; methods: string[] };
    expect(new URL(answer.url).pathname).toBe(
      join(await realpath(consumer.installed), "dist/gen/updatemanager/v1/update_service_pb.js"),
    );
    expect(answer.service).toBe("updatemanager.v1.UpdateService");
    expect(answer.methods).toEqual(expect.arrayContaining(["Update", "WatchUpdate", "ListTargets"]));
  });

  it("give TypeScript consumers the declarations: the example pipeline type-checks against them", async () => {
    const tsc = join(consumer.app, "node_modules/typescript/bin/tsc");
    const result = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: consumer.app, timeout: 60_000 }).then(
      ({ stdout }) => ({ stdout, code: 0 }),
      (error: { stdout?: string; code?: unknown }) => ({ stdout: error.stdout ?? String(error), code: error.code }),
    );
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toBe("");
  });

  it("keep the server's internals private", async () => {
    const out = await inConsumer(
      `try { await import("update-manager/src/app.js"); console.log("imported"); } catch (e) { console.log(e.code); }`,
    );
    expect(out).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  it("ship the contract for other languages' generators", async () => {
    const out = await inConsumer(
      `console.log(new URL(import.meta.resolve("update-manager/proto/updatemanager/v1/update_service.proto")).pathname)`,
    );
    expect(out.endsWith("/proto/updatemanager/v1/update_service.proto")).toBe(true);
  });
});
