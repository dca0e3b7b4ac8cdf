import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as http from "node:http";
import * as http2 from "node:http2";
import { Code, type ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { UpdateService } from "../gen/updatemanager/v1/update_service_pb.js";
import { type ServerProcess, serverEntryArgs, startServer } from "./support/server-process.js";

const running: ServerProcess[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

async function start(env: Record<string, string> = {}) {
  const server = await startServer({ env });
  running.push(server);
  return server;
}

/** Runs the entry point as `npm run serve` does and waits for it to exit. */
function runToExit(env: Record<string, string>, timeoutMs = 20_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, serverEntryArgs, {
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
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the process did not exit within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("the server process", () => {
  it("exits with status 2 and names the variable when the configuration is invalid", async () => {
    const result = await runToExit({
      UPDATE_MANAGER_LISTENING_PORT: "abc",
      UPDATE_MANAGER_LOG_LEVEL: "loud",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('UPDATE_MANAGER_LISTENING_PORT="abc" is not a port');
    // Every problem at once, not one per restart.
    expect(result.stderr).toContain("UPDATE_MANAGER_LOG_LEVEL");
    expect(result.stdout).not.toContain("listening");
  });

  it("exits with status 2 naming the approval policy that needs more approvers than the access configuration has", async () => {
    const dir = await mkdtemp(join(tmpdir(), "um-policies-"));
    try {
      const policies = join(dir, "policies.yaml");
      await writeFile(policies, "approvals:\n  policies:\n    - name: production\n      approvers: 2\n");
      // One principal may approve: the full-scope key.
      const result = await runToExit({
        UPDATE_MANAGER_POLICIES_FILE: policies,
        UPDATE_MANAGER_API_KEY: "a-full-scope-key-of-enough-length",
        UPDATE_MANAGER_CLUSTER: "embedded",
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('approval policy "production" needs 2 distinct approvers');
      expect(result.stderr).toContain("only 1 principals may call ApproveUpdate there (api-key)");
      expect(result.stdout).not.toContain("listening");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits with status 2 naming the webhooks file and each bad endpoint", async () => {
    const dir = await mkdtemp(join(tmpdir(), "um-webhooks-"));
    try {
      const webhooks = join(dir, "webhooks.yaml");
      await writeFile(webhooks, "endpoints:\n  - { name: hub, type: dockerhub, secretFile: /nonexistent/token }\n  - { name: quay, type: quay }\n");
      const result = await runToExit({ UPDATE_MANAGER_WEBHOOKS_FILE: webhooks, UPDATE_MANAGER_CLUSTER: "embedded" });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`UPDATE_MANAGER_WEBHOOKS_FILE (${webhooks}): endpoint "hub": secretFile: cannot read /nonexistent/token: ENOENT`);
      expect(result.stderr).toContain('endpoint "quay": type must be distribution, harbor, github, dockerhub');
      expect(result.stdout).not.toContain("listening");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits with status 2 naming a window's unknown time zone", async () => {
    const dir = await mkdtemp(join(tmpdir(), "um-policies-"));
    try {
      const policies = join(dir, "policies.yaml");
      await writeFile(policies, 'windows:\n  - name: nights\n    startTime: "22:00"\n    endTime: "06:00"\n    timeZone: Europe/Atlantis\n');
      const result = await runToExit({ UPDATE_MANAGER_POLICIES_FILE: policies, UPDATE_MANAGER_CLUSTER: "embedded" });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('windows[0].timeZone: "Europe/Atlantis" is not a known IANA time zone');
      expect(result.stdout).not.toContain("listening");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits with status 2 naming each file when KUBECONFIG lists none that exists, instead of simulating a cluster", async () => {
    const result = await runToExit({ KUBECONFIG: "/nonexistent/a.yaml:/nonexistent/b.yaml" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("KUBECONFIG names no file that exists: /nonexistent/a.yaml (missing), /nonexistent/b.yaml (missing)");
    expect(result.stdout).not.toContain("embedded");
  });

  it("exits with status 2 when node plans are on and the account lacks kube/node-plans' grants, naming each and the overlay", async () => {
    // An API server on loopback that knows the manager but not the node plans' grants or the CRD.
    const asked: string[] = [];
    const apiServer = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on("end", () => {
        response.setHeader("content-type", "application/json");
        if (request.method === "POST" && request.url === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") {
          const attributes = (JSON.parse(body) as { spec: { resourceAttributes: { verb: string; resource: string; subresource?: string } } }).spec.resourceAttributes;
          asked.push(`${attributes.verb} ${attributes.resource}`);
          const allowed = !(attributes.resource === "nodes" && attributes.verb === "patch") && attributes.subresource !== "eviction";
          response.end(JSON.stringify({ kind: "SelfSubjectAccessReview", status: { allowed } }));
          return;
        }
        response.statusCode = 404;
        response.end(JSON.stringify({ kind: "Status", status: "Failure", code: 404, reason: "NotFound", message: "the server could not find the requested resource" }));
      });
    });
    await new Promise<void>((resolve) => apiServer.listen(0, "127.0.0.1", resolve));
    const dir = await mkdtemp(join(tmpdir(), "update-manager-rbac-"));
    try {
      const kubeconfig = join(dir, "kubeconfig.json");
      const server = `http://127.0.0.1:${(apiServer.address() as { port: number }).port}`;
      await writeFile(
        kubeconfig,
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: "c", cluster: { server } }],
          users: [{ name: "u", user: { token: "t" } }],
          contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
          "current-context": "x",
        }),
      );
      const result = await runToExit({ KUBECONFIG: kubeconfig, UPDATE_MANAGER_NODE_PLANS: "true" });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("UPDATE_MANAGER_NODE_PLANS=true, but the manager's account may not patch nodes, create pods/eviction:");
      expect(result.stderr).toContain("the NodeUpgradePlan CRD (nodeupgradeplans.updatemanager.io) is not installed");
      expect(result.stderr).toContain("kubectl apply -k kube/node-plans");
      expect(result.stdout).not.toContain("listening");
      expect(asked).toContain("create jobs");
    } finally {
      await new Promise((resolve) => apiServer.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses an anonymous Update on the embedded cluster once an API key is configured, and logs the mode", async () => {
    const server = await start({ UPDATE_MANAGER_API_KEY: "e2e-key-0123456789abcdef" });
    const anonymous = createClient(UpdateService, createGrpcTransport({ baseUrl: server.apiUrl }));
    const refused = await anonymous.update({ image: "registry.example.com/shop/web:9.9.9", classifier: "shop" }).catch((e: unknown) => e);
    expect((refused as ConnectError).code).toBe(Code.Unauthenticated);
    expect(server.logs).toContainEqual(
      expect.objectContaining({
        insecureDemo: false,
        msg: "insecure demo mode is off (a credential is configured: UPDATE_MANAGER_API_KEY): mutating calls need a credential",
      }),
    );
  });

  it("logs the cluster mode first and one line per port", async () => {
    const server = await start();
    expect(server.logs[0]).toMatchObject({ level: "info", mode: "embedded" });
    const listening = server.logs.filter((line) => String(line.msg).endsWith("server listening"));
    expect(listening.map((line) => [line.msg, line.host, line.protocol])).toEqual([
      ["admin server listening", "127.0.0.1", "http"],
      ["api server listening", "127.0.0.1", "http"],
    ]);
  });

  it("keeps its piped log output blocking: a log reader that lags delays a line, it never freezes the server for 100 ms", async () => {
    const server = await start();
    await createClient(Health, createConnectTransport({ baseUrl: server.apiUrl, httpVersion: "1.1" })).check({});
    // On a non-blocking fd 1 (what creating process.stdout on a pipe does), pino's synchronous write meets EAGAIN
    // whenever the pipe is full and sonic-boom sleeps 100 ms with the event loop; on a blocking one it just waits.
    const fdinfo = await readFile(`/proc/${server.child.pid}/fdinfo/1`, "utf8");
    const flags = Number.parseInt(/flags:\s+(\d+)/.exec(fdinfo)?.[1] ?? "", 8);
    expect(Number.isNaN(flags)).toBe(false);
    const O_NONBLOCK = 0o4000;
    expect(flags & O_NONBLOCK).toBe(0);
  });

  it("serves probes and RPC metrics on the admin port", async () => {
    const server = await start();
    await createClient(Health, createConnectTransport({ baseUrl: server.apiUrl, httpVersion: "1.1" })).check({});
    expect((await fetch(`${server.adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.adminUrl}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
    expect(metrics).toContain(
      'update_manager_rpc_requests_total{service="grpc.health.v1.Health",method="Check",code="OK"} 1',
    );
  });

  it("shuts down on SIGTERM within 5 s with exit code 0, ending an open Health/Watch stream cleanly", async () => {
    const server = await start();
    const stream = createClient(Health, createGrpcTransport({ baseUrl: server.apiUrl })).watch({});
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    // An idle HTTP/2 client must not hold the shutdown up either.
    const idle = http2.connect(server.apiUrl);
    idle.on("error", () => {});
    await new Promise<void>((resolve) => idle.once("connect", () => resolve()));

    const rest = (async () => {
      const statuses: HealthCheckResponse_ServingStatus[] = [];
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return statuses;
        statuses.push(next.value.status);
      }
    })();
    const stopped = await server.stop();
    idle.destroy();

    expect(stopped).toMatchObject({ code: 0, signal: null });
    expect(stopped.ms).toBeLessThan(5000);
    // The stream ends without an error, after at most a last NOT_SERVING.
    const statuses = await rest;
    expect(statuses.every((status) => status === HealthCheckResponse_ServingStatus.NOT_SERVING)).toBe(true);
    expect(server.logs.map((line) => line.msg)).toContain("stopped");
  });
});
