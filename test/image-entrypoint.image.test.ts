import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { UpdateState } from "../gen/updatemanager/v1/update_pb.js";
import { UpdateService } from "../gen/updatemanager/v1/update_service_pb.js";
import {
  type BuiltImage,
  builtImage,
  containerTool,
  containerToolOk,
  type ManagerContainer,
  podmanRunOptions,
  readOnlyRootOptions,
  runManagerContainer,
} from "./support/container-image.js";
import { startRegistry, type TestRegistry } from "./support/registry.js";

// The image scripts/image/build-image.sh built from the Dockerfile (Node 24 on a shell-less base, as uid 65532),
// run with podman on the host network with a read-only root. The embedded demo cluster: classifier `shop` on
// registry.example.com/shop/web (src/cluster/simulated/demo-seed.ts).
const repo = "registry.example.com/shop/web";
const apiKey = randomBytes(16).toString("hex");

let image: BuiltImage;
let manager: ManagerContainer | undefined;
const cliContainers: string[] = [];

const bearer: Interceptor = (next) => (request) => {
  request.header.set("authorization", `Bearer ${apiKey}`);
  return next(request);
};

beforeAll(async () => {
  image = builtImage();
  manager = await runManagerContainer(image, { env: { UPDATE_MANAGER_API_KEY: apiKey } });
});

afterAll(async () => {
  await manager?.remove();
  for (const name of cliContainers) await containerTool(image, "podman", ["rm", "--force", "--time", "0", name]);
});

describe("the image's configuration", () => {
  it("runs node as uid/gid 65532 for linux/amd64, labelled with its source, revision and version", async () => {
    const config = JSON.parse(await containerToolOk(image, "podman", ["image", "inspect", image.ref]))[0] as {
      Architecture: string;
      Os: string;
      Config: { User: string; Entrypoint: string[]; Labels: Record<string, string> };
    };
    expect(config.Architecture).toBe("amd64");
    expect(config.Os).toBe("linux");
    expect(config.Config.User).toBe("65532:65532");
    expect(config.Config.Entrypoint[0]).toBe("/nodejs/bin/node");
    const labels = config.Config.Labels;
    const packageJson = JSON.parse(await readFile("package.json", "utf8")) as { version: string };
    expect(labels["org.opencontainers.image.version"]).toBe(packageJson.version);
    expect(labels["org.opencontainers.image.revision"]).toMatch(/^[0-9a-f]{40}$|^unknown$/);
    expect(labels["org.opencontainers.image.source"]).toMatch(/^https:\/\//);
  });

  it("has no shell to run", async () => {
    const result = await containerTool(image, "podman", [
      "run",
      "--rm",
      ...podmanRunOptions,
      "--network",
      "none",
      "--entrypoint",
      "/bin/sh",
      image.ref,
      "-c",
      "true",
    ]);
    expect(result.code).not.toBe(0);
  });
});

describe("the server in the image (read-only root, uid 65532)", () => {
  it("runs as 65532 and answers /readyz, /healthz and grpc.health.v1", async () => {
    const user = await containerToolOk(image, "podman", ["inspect", "--format", "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}", manager!.name]);
    expect(user.trim()).toBe("65532:65532 true");
    expect((await fetch(`${manager!.adminUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${manager!.adminUrl}/healthz`)).status).toBe(200);
    const health = createClient(Health, createGrpcTransport({ baseUrl: manager!.apiUrl }));
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("streams an Update on the embedded cluster to SUCCEEDED through the container's port", async () => {
    const client = createClient(UpdateService, createGrpcTransport({ baseUrl: manager!.apiUrl, interceptors: [bearer] }));
    const { update } = await client.update({ image: `${repo}:1.6.0`, classifier: "shop" });
    const kinds: string[] = [];
    let finalState: UpdateState | undefined;
    for await (const message of client.watchUpdate({ updateId: update!.id }, { timeoutMs: 90_000 })) {
      if (message.message.case !== "event") continue;
      const kind = message.message.value.kind;
      kinds.push(kind.case ?? "");
      if (kind.case === "finished") finalState = kind.value.state;
    }
    expect(kinds[0]).toBe("planned");
    expect(kinds).toContain("migrationSucceeded");
    expect(kinds.at(-1)).toBe("finished");
    expect(finalState).toBe(UpdateState.SUCCEEDED);
  });

  it("runs the pipeline CLI as `IMAGE update-manager update ... --wait`, exit 0 on SUCCEEDED", async () => {
    const name = `um-cli-${randomBytes(4).toString("hex")}`;
    cliContainers.push(name);
    const result = await containerTool(image, "podman", [
      "run",
      "--rm",
      "--name",
      name,
      ...podmanRunOptions,
      "--network",
      "host",
      ...readOnlyRootOptions,
      image.ref,
      "update-manager",
      "update",
      "--url",
      manager!.apiUrl,
      "--api-key",
      apiKey,
      "--image",
      `${repo}:1.7.0`,
      "--classifier",
      "shop",
      "--wait",
      "--output",
      "json",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const last = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { result: { exitCode: number } };
    expect(last.result.exitCode).toBe(0);
    expect(result.stdout).toContain("SUCCEEDED");
  });
});

describe("the image in a registry", () => {
  let registry: TestRegistry | undefined;
  let pulled: string | undefined;

  afterAll(async () => {
    await registry?.stop();
    if (pulled) await rm(pulled, { recursive: true, force: true });
  });

  it("is pushed to docker-registry and pulled back by digest, the same image", async () => {
    registry = await startRegistry();
    const tagged = `docker://${registry.host}/update-manager:test`;
    await containerToolOk(image, "podman", ["push", "--quiet", "--tls-verify=false", image.ref, tagged], 300_000);
    const inspected = JSON.parse(await containerToolOk(image, "skopeo", ["inspect", "--tls-verify=false", tagged])) as {
      Digest: string;
      Architecture: string;
      Layers: string[];
    };
    expect(inspected.Digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(inspected.Architecture).toBe("amd64");

    pulled = await mkdtemp(join(tmpdir(), "um-pulled-"));
    await containerToolOk(image, "skopeo", [
      "copy",
      "--quiet",
      "--src-tls-verify=false",
      `docker://${registry.host}/update-manager@${inspected.Digest}`,
      `oci:${pulled}:pulled`,
    ]);
    const index = JSON.parse(await readFile(join(pulled, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    const manifestDigest = index.manifests[0]!.digest;
    const manifest = JSON.parse(await readFile(join(pulled, "blobs", ...manifestDigest.split(":")), "utf8")) as {
      config: { digest: string };
      layers: unknown[];
    };
    // The image id is the digest of its configuration: the pulled image is the one that was built.
    const localId = (await containerToolOk(image, "podman", ["image", "inspect", "--format", "{{.Id}}", image.ref])).trim();
    expect(manifest.config.digest).toBe(`sha256:${localId}`);
    expect(manifest.layers).toHaveLength(inspected.Layers.length);
  });
});

describe("stopping the container", () => {
  it("drains on SIGTERM (podman stop) and exits 0 within 5 s", async () => {
    const stopped = await manager!.stop(30);
    expect(stopped.exitCode).toBe(0);
    expect(stopped.ms).toBeLessThan(5_000);
  });
});
