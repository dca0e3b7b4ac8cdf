import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../support/server-process.js";
import { startTogether } from "../support/start-together.js";
import { type ConsumerPackage, createConsumerPackage } from "./consumer-package.js";

const run = promisify(execFile);
let consumer: ConsumerPackage;
let server: ServerProcess;

beforeAll(async () => {
  const packaged = createConsumerPackage().then((created) => ({ ...created, stop: created.cleanup }));
  [consumer, server] = await startTogether(packaged, startServer());
});

afterAll(async () => {
  await server?.stop();
  await consumer?.cleanup();
});

describe("examples/pipeline as a separate package", () => {
  it("calls Update and follows WatchUpdate to SUCCEEDED through the package's exports", async () => {
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "pipeline.ts", "registry.example.com/shop/web:1.5.0", "shop"],
      { cwd: consumer.app, env: { PATH: process.env.PATH ?? "", UPDATE_MANAGER_URL: server.apiUrl }, timeout: 90_000 },
    );
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^update [0-9a-f-]{36} PENDING$/);
    expect(lines[1]).toBe("[1] planned");
    expect(lines).toContain("[2] migrationStarted");
    expect(lines.at(-1)).toBe("finished: SUCCEEDED");
  });
});
