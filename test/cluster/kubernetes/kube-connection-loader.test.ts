import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { RequestOptions } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KubeConnection } from "../../../src/cluster/kubernetes/kube-connection.js";
import { loadKubeConnection } from "../../../src/cluster/kubernetes/kube-connection-loader.js";
import { createRestClient } from "../../../src/cluster/kubernetes/rest-client.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kube-connection-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const noFallback = async (): Promise<KubeConnection> => {
  throw new Error("client-node was asked");
};

function kubeconfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function applied(connection: KubeConnection): Promise<RequestOptions> {
  const options: RequestOptions = { headers: { accept: "application/json" } };
  await connection.applyToHTTPSOptions(options);
  return options;
}

describe("loadKubeConnection", () => {
  it("reads a YAML kubeconfig's current context: server, CA, bearer token, and a client certificate relative to the file", async () => {
    writeFileSync(join(dir, "client.crt"), "CERT");
    writeFileSync(join(dir, "client.key"), "KEY");
    const file = kubeconfig(
      "config",
      [
        "apiVersion: v1",
        "kind: Config",
        "current-context: prod",
        "clusters:",
        "- name: prod",
        "  cluster:",
        "    server: https://10.0.0.1:6443/",
        `    certificate-authority-data: ${Buffer.from("CA").toString("base64")}`,
        "    tls-server-name: kubernetes.default",
        "- name: other",
        "  cluster: { server: https://other }",
        "users:",
        "- name: deployer",
        "  user: { token: s3cret, client-certificate: client.crt, client-key: client.key }",
        "contexts:",
        "- name: prod",
        "  context: { cluster: prod, user: deployer }",
      ].join("\n"),
    );
    const connection = loadKubeConnection({ env: { KUBECONFIG: file }, fallback: noFallback });
    expect(connection.getCurrentCluster()).toEqual({ server: "https://10.0.0.1:6443" });
    const options = await applied(connection);
    expect(options.headers).toEqual({ accept: "application/json", authorization: "Bearer s3cret" });
    expect(String(options.ca)).toBe("CA");
    expect(String(options.cert)).toBe("CERT");
    expect(String(options.key)).toBe("KEY");
    expect(options.servername).toBe("kubernetes.default");
    expect(options.rejectUnauthorized).toBeUndefined();
  });

  it("uses the pod's ServiceAccount in a cluster: token file, CA file, KUBERNETES_SERVICE_HOST (IPv6 in brackets)", async () => {
    writeFileSync(join(dir, "token"), "pod-token\n");
    writeFileSync(join(dir, "ca.crt"), "CLUSTER-CA");
    const connection = loadKubeConnection({
      env: { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" },
      home: join(dir, "no-home"),
      serviceAccountRoot: dir,
      fallback: noFallback,
    });
    expect(connection.getCurrentCluster()).toEqual({ server: "https://[fd00::1]:443" });
    const options = await applied(connection);
    expect(options.headers).toMatchObject({ authorization: "Bearer pod-token" });
    expect(String(options.ca)).toBe("CLUSTER-CA");
  });

  it("merges the files of KUBECONFIG: the first definition of a name wins, a later current-context overrides", async () => {
    const first = kubeconfig(
      "a",
      JSON.stringify({
        "current-context": "a",
        clusters: [{ name: "c", cluster: { server: "https://first", "insecure-skip-tls-verify": true } }],
        users: [{ name: "u", user: { username: "admin", password: "pw" } }],
        contexts: [{ name: "a", context: { cluster: "c", user: "u" } }],
      }),
    );
    const second = kubeconfig(
      "b",
      JSON.stringify({
        "current-context": "b",
        clusters: [{ name: "c", cluster: { server: "https://second" } }],
        contexts: [{ name: "b", context: { cluster: "c", user: "u" } }],
      }),
    );
    const connection = loadKubeConnection({ env: { KUBECONFIG: [first, second].join(delimiter) }, fallback: noFallback });
    expect(connection.getCurrentCluster()).toEqual({ server: "https://first" });
    const options = await applied(connection);
    expect(options.auth).toBe("admin:pw");
    expect(options.rejectUnauthorized).toBe(false);
  });

  it("hands an exec plugin to client-node, loaded only when the first request needs credentials", async () => {
    const file = kubeconfig(
      "exec",
      JSON.stringify({
        "current-context": "eks",
        clusters: [{ name: "eks", cluster: { server: "https://eks.example.com" } }],
        users: [{ name: "iam", user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "aws" } } }],
        contexts: [{ name: "eks", context: { cluster: "eks", user: "iam" } }],
      }),
    );
    let loads = 0;
    const connection = loadKubeConnection({
      env: { KUBECONFIG: file },
      fallback: async () => {
        loads++;
        return {
          getCurrentCluster: () => ({ server: "https://eks.example.com" }),
          applyToHTTPSOptions: async (options) => {
            options.headers = { ...options.headers, authorization: "Bearer from-exec" };
          },
        };
      },
    });
    expect(connection.getCurrentCluster()).toEqual({ server: "https://eks.example.com" });
    expect(loads).toBe(0);
    expect((await applied(connection)).headers).toMatchObject({ authorization: "Bearer from-exec" });
    await applied(connection);
    expect(loads).toBe(1);
  });

  it("says which context is missing", () => {
    const file = kubeconfig("broken", JSON.stringify({ "current-context": "gone", clusters: [], users: [], contexts: [] }));
    expect(() => loadKubeConnection({ env: { KUBECONFIG: file }, fallback: noFallback })).toThrow(`has no context "gone"`);
  });

  describe("against a server", () => {
    let server: Server | undefined;
    afterEach(async () => {
      await new Promise((resolve) => server?.close(resolve));
      server = undefined;
    });

    it("authenticates the REST client's requests with a token file named relative to the kubeconfig", async () => {
      const seen: IncomingHttpHeaders[] = [];
      server = createServer((request, response) => {
        seen.push(request.headers);
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
      await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as AddressInfo).port;
      writeFileSync(join(dir, "token"), "first");
      const file = kubeconfig(
        "config",
        JSON.stringify({
          "current-context": "local",
          clusters: [{ name: "local", cluster: { server: `http://127.0.0.1:${port}` } }],
          users: [{ name: "sa", user: { tokenFile: "token" } }],
          contexts: [{ name: "local", context: { cluster: "local", user: "sa" } }],
        }),
      );
      const rest = createRestClient(loadKubeConnection({ env: { KUBECONFIG: file }, fallback: noFallback }));
      await rest.request({ method: "GET", path: "/api/v1/namespaces" });
      expect(seen[0]?.authorization).toBe("Bearer first");
    });
  });
});
