/**
 * The REST drop-in against the real process (`npm start`, embedded demo cluster): the original CLI's
 * requests (see legacy-rest.test.ts for where they come from), polled once a second as the CLI does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../support/server-process.js";

const apiKey = "e2e-legacy-key-0123456789";
let server: ServerProcess;

beforeAll(async () => {
  server = await startServer({ env: { UPDATE_MANAGER_API_KEY: apiKey, UPDATE_MANAGER_INSECURE_DEMO: "false" } });
});
afterAll(async () => {
  await server?.stop();
});

const cliHeaders = { "User-Agent": "GRequests/0.10", Authorization: `APIKey ${apiKey}`, "Accept-Encoding": "gzip" };

interface LegacyUpdate {
  uuid: string;
  counts: { jobs: { total: number; updated: number }; deployments: { total: number; updated: number } };
  status: { finish_time: string | null; finished: boolean; failed: boolean; successful: boolean };
}

describe("legacy REST API on the real server", () => {
  it("runs the original CLI's update: POST 201, GET until finished and successful, DELETE 204, then GET 404", async () => {
    const created = await fetch(`${server.apiUrl}/updates`, {
      method: "POST",
      headers: { ...cliHeaders, "Content-Type": "application/x-www-form-urlencoded" },
      body: "image=registry.example.com%2Fshop%2Fweb%3A1.5.0&update_classifier=shop",
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const first = (await created.json()) as LegacyUpdate;
    expect(first.status).toEqual({ finish_time: null, finished: false, failed: false, successful: false });

    let current = first;
    for (let second = 0; second < 120 && !current.status.finished; second++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const polled = await fetch(`${server.apiUrl}/updates/${first.uuid}`, { headers: cliHeaders });
      expect(polled.status).toBe(200);
      current = (await polled.json()) as LegacyUpdate;
    }
    expect(current.status).toMatchObject({ finished: true, failed: false, successful: true });
    expect(current.counts).toEqual({ jobs: { total: 1, updated: 1 }, deployments: { total: 4, updated: 4 } });
    expect(Number.isNaN(Date.parse(current.status.finish_time ?? ""))).toBe(false);

    const deleted = await fetch(`${server.apiUrl}/updates/${first.uuid}`, { method: "DELETE", headers: cliHeaders });
    expect(deleted.status).toBe(204);
    expect((await fetch(`${server.apiUrl}/updates/${first.uuid}`, { headers: cliHeaders })).status).toBe(404);
  });

  it("refuses the CLI with a wrong key: 401", async () => {
    const answer = await fetch(`${server.apiUrl}/updates`, {
      method: "POST",
      headers: { ...cliHeaders, Authorization: "APIKey not-the-key-0123456789", "Content-Type": "application/x-www-form-urlencoded" },
      body: "image=registry.example.com%2Fshop%2Fweb%3A1.6.0&update_classifier=shop",
    });
    expect(answer.status).toBe(401);
  });
});
