/** TLS on the real process: the certificate files are re-read when they change, without a restart. */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tls from "node:tls";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { type ServerProcess, startServer } from "../support/server-process.js";
import { createTestPki, type TestPki } from "./test-certificates.js";

let pki: TestPki;
let server: ServerProcess | undefined;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(async () => {
  await server?.stop();
  pki?.remove();
});

function servedCn(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca, ALPNProtocols: ["http/1.1"] }, () => {
      const cn = String(socket.getPeerCertificate().subject.CN);
      socket.end();
      resolve(cn);
    });
    socket.on("error", reject);
  });
}

describe("TLS reload in the real process", () => {
  it("serves a renewed certificate to new connections and logs the reload", async () => {
    const ca = pki.ca("e2e-ca");
    const first = pki.leaf("e2e-first", "e2e-ca", "server");
    const second = pki.leaf("e2e-second", "e2e-ca", "server");
    const dir = join(pki.dir, "served");
    mkdirSync(dir);
    writeFileSync(join(dir, "tls.crt"), first.cert);
    writeFileSync(join(dir, "tls.key"), first.key);
    server = await startServer({
      env: { UPDATE_MANAGER_TLS_CERT_FILE: join(dir, "tls.crt"), UPDATE_MANAGER_TLS_KEY_FILE: join(dir, "tls.key") },
    });
    expect(await servedCn(server.apiPort, ca.cert)).toBe("e2e-first");
    const health = createClient(
      Health,
      createConnectTransport({ baseUrl: `https://127.0.0.1:${server.apiPort}`, httpVersion: "1.1", nodeOptions: { ca: ca.cert } }),
    );
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);

    writeFileSync(join(dir, "tls.key.new"), second.key);
    writeFileSync(join(dir, "tls.crt.new"), second.cert);
    renameSync(join(dir, "tls.key.new"), join(dir, "tls.key"));
    renameSync(join(dir, "tls.crt.new"), join(dir, "tls.crt"));

    for (let attempt = 0; attempt < 50 && !server.logs.some((line) => line.msg === "TLS certificate reloaded; new connections use it"); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await servedCn(server.apiPort, ca.cert)).toBe("e2e-second");
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(server.child.exitCode).toBeNull();
  });
});
