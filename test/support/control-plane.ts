import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { trackProcess } from "./process-registry.js";

/** A static-token user the apiserver knows, for tests that need an identity other than the admin. */
export interface StaticUser {
  /** User name, e.g. `ci-pipeline`. */
  name: string;
  /** Bearer token; must be unique across users. */
  token: string;
  /** Groups the user belongs to. Default: none. */
  groups?: string[];
}

export interface ControlPlaneOptions {
  /**
   * Directory holding `kube-apiserver` and `kube-controller-manager`.
   * Default: `$UPDATE_MANAGER_KUBE_BIN`, else `$UPDATE_MANAGER_KUBE_CACHE/bin`, else
   * `~/.cache/update-manager/kube-1.20.2/bin` (where scripts/kube/build-control-plane.sh builds them).
   */
  binDir?: string;
  /** etcd binary. Default: `$UPDATE_MANAGER_ETCD`, else `etcd` found on PATH (Debian's etcd-server). */
  etcdBinary?: string;
  /** Bound on the whole start (all components ready). Default: 90 000 ms. */
  startTimeoutMs?: number;
  /**
   * `--controllers` for kube-controller-manager. Default: every controller but nodelifecycle, so that the fake
   * kubelet's node is never tainted or its pods evicted when a heartbeat is late on a busy machine.
   */
  controllers?: string;
  /** Extra static-token users besides the admin and the controller-manager. Default: none. */
  users?: StaticUser[];
  /** Extra kube-apiserver flags (`--name=value`). Default: none. */
  apiServerArgs?: string[];
  /** Extra kube-controller-manager flags. Default: none. */
  controllerManagerArgs?: string[];
  /** Keep the temp dir (logs, data) after stop, for debugging. Default: `$UPDATE_MANAGER_KUBE_KEEP === "1"`. */
  keepTempDir?: boolean;
  /** Lines of each component's log printed when start fails. Default: 60. */
  logTailLines?: number;
}

export interface ControlPlane {
  /** Admin kubeconfig file (group `system:masters`). */
  kubeconfigPath: string;
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** PEM the apiserver's serving certificate verifies against. */
  caPem: string;
  /** Bearer token of the admin user. */
  adminToken: string;
  /** Temp dir holding data, keys and `<component>.log`. */
  dir: string;
  /** A fresh admin KubeConfig. */
  kubeConfig(): KubeConfig;
  /** A KubeConfig for another bearer token (a static user's or a ServiceAccount's). */
  kubeConfigForToken(token: string, user?: string): KubeConfig;
  /** Writes a kubeconfig file for a bearer token into the temp dir and returns its path. */
  writeKubeconfig(token: string, user: string): Promise<string>;
  /** Stops every component (process groups, TERM then KILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const KUBE_VERSION_DIR = "kube-1.20.2";
const BIND_ATTEMPTS = 3;

interface Component {
  name: string;
  child: ChildProcess;
  logPath: string;
  exited: Promise<number | null>;
  exitCode: number | null | undefined;
}

/** Starts etcd, kube-apiserver and kube-controller-manager on free loopback ports in a fresh temp dir. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir = options.binDir ?? defaultBinDir();
  const apiServerBin = join(binDir, "kube-apiserver");
  const controllerManagerBin = join(binDir, "kube-controller-manager");
  const etcdBin = options.etcdBinary ?? process.env.UPDATE_MANAGER_ETCD ?? findOnPath("etcd");
  const hint = "run scripts/kube/build-control-plane.sh first";
  for (const bin of [apiServerBin, controllerManagerBin]) requireExecutable(bin, hint);
  if (!etcdBin) throw new Error(`etcd not found on PATH: ${hint} (it installs etcd-server)`);
  requireExecutable(etcdBin, hint);

  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const deadline = Date.now() + startTimeoutMs;
  const tailLines = options.logTailLines ?? 60;
  const keep = options.keepTempDir ?? process.env.UPDATE_MANAGER_KUBE_KEEP === "1";
  const dir = await mkdtemp(join(tmpdir(), "update-manager-kube-"));
  const components: Component[] = [];
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off("exit", killAllNow);
    // Reverse start order: controller-manager, apiserver, then etcd once nothing writes to it.
    for (const component of [...components].reverse()) await stopComponent(component);
    if (!keep) await rm(dir, { recursive: true, force: true });
  };
  // A crashed or interrupted run must not leave a control plane behind. Exit handlers cover a plain Node process
  // (bench/); a vitest worker is ended without running them, so there the run's process registry (trackProcess)
  // and its global teardown do it.
  const killAllNow = (): void => {
    for (const component of components) killGroup(component.child, "SIGKILL");
  };
  process.on("exit", killAllNow);

  try {
    const adminToken = randomBytes(24).toString("hex");
    const controllerManagerToken = randomBytes(24).toString("hex");
    const users: StaticUser[] = [
      { name: "admin", token: adminToken, groups: ["system:masters"] },
      { name: "system:kube-controller-manager", token: controllerManagerToken },
      ...(options.users ?? []),
    ];
    const tokensPath = join(dir, "tokens.csv");
    await writeFile(tokensPath, users.map(tokenLine).join("\n") + "\n", { mode: 0o600 });

    const { publicKey, privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
    });
    const saPub = join(dir, "sa.pub");
    const saKey = join(dir, "sa.key");
    await writeFile(saPub, publicKey);
    await writeFile(saKey, privateKey, { mode: 0o600 });

    // etcd
    const etcd = await startWithFreePorts(components, "etcd", dir, 2, (ports) => {
      const [client, peer] = ports as [number, number];
      const peerUrl = `http://127.0.0.1:${peer}`;
      return {
        command: etcdBin,
        args: [
          "--name=update-manager-test",
          `--data-dir=${join(dir, "etcd")}`,
          `--listen-client-urls=http://127.0.0.1:${client}`,
          `--advertise-client-urls=http://127.0.0.1:${client}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=update-manager-test=${peerUrl}`,
          "--initial-cluster-state=new",
          "--log-level=warn",
        ],
        ready: async () => (await getText(`http://127.0.0.1:${client}/health`)).includes('"health":"true"'),
      };
    }, deadline, tailLines);
    const etcdUrl = `http://127.0.0.1:${etcd.ports[0]}`;

    // kube-apiserver
    const certDir = join(dir, "pki");
    const apiServer = await startWithFreePorts(components, "kube-apiserver", dir, 1, (ports) => {
      const [port] = ports as [number];
      return {
        command: apiServerBin,
        args: [
          "--bind-address=127.0.0.1",
          `--secure-port=${port}`,
          "--insecure-port=0",
          `--cert-dir=${certDir}`,
          `--etcd-servers=${etcdUrl}`,
          `--token-auth-file=${tokensPath}`,
          "--authorization-mode=RBAC",
          "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
          `--service-account-key-file=${saPub}`,
          `--service-account-signing-key-file=${saKey}`,
          "--service-cluster-ip-range=10.0.0.0/24",
          "--allow-privileged=true",
          "--v=1",
          ...(options.apiServerArgs ?? []),
        ],
        ready: async () => {
          const ca = join(certDir, "apiserver.crt");
          if (!existsSync(ca)) return false;
          const res = await httpsGet(`https://127.0.0.1:${port}/readyz`, readFileSync(ca, "utf8"), adminToken);
          return res.status === 200;
        },
      };
    }, deadline, tailLines);
    const server = `https://127.0.0.1:${apiServer.ports[0]}`;
    const caPem = await readFile(join(certDir, "apiserver.crt"), "utf8");

    const kubeConfigForToken = (token: string, user = "admin"): KubeConfig => {
      const kc = new KubeConfig();
      kc.loadFromOptions(kubeconfigObject(server, caPem, token, user));
      return kc;
    };
    const writeKubeconfig = async (token: string, user: string): Promise<string> => {
      const path = join(dir, `kubeconfig-${user.replace(/[^A-Za-z0-9_.-]/g, "_")}.yaml`);
      // JSON is YAML: every kubeconfig reader (client-node, kubectl, client-go) accepts it.
      await writeFile(path, JSON.stringify(kubeconfigFile(server, caPem, token, user), null, 2), { mode: 0o600 });
      return path;
    };
    const kubeconfigPath = await writeKubeconfig(adminToken, "admin");
    const controllerManagerKubeconfig = await writeKubeconfig(controllerManagerToken, "kube-controller-manager");

    // kube-controller-manager: ready once the token controller minted the default ServiceAccount's token, which
    // proves it reached the apiserver with working credentials and runs its controllers.
    await startWithFreePorts(components, "kube-controller-manager", dir, 1, (ports) => {
      const [port] = ports as [number];
      return {
        command: controllerManagerBin,
        args: [
          `--kubeconfig=${controllerManagerKubeconfig}`,
          `--authentication-kubeconfig=${controllerManagerKubeconfig}`,
          `--authorization-kubeconfig=${controllerManagerKubeconfig}`,
          `--controllers=${options.controllers ?? "*,-nodelifecycle"}`,
          "--use-service-account-credentials=true",
          `--service-account-private-key-file=${saKey}`,
          `--root-ca-file=${join(certDir, "apiserver.crt")}`,
          "--leader-elect=false",
          "--bind-address=127.0.0.1",
          `--secure-port=${port}`,
          "--port=0",
          `--cert-dir=${join(dir, "kcm-pki")}`,
          "--v=1",
          ...(options.controllerManagerArgs ?? []),
        ],
        ready: async () => {
          const res = await httpsGet(
            `${server}/api/v1/namespaces/default/secrets?fieldSelector=type%3Dkubernetes.io%2Fservice-account-token`,
            caPem,
            adminToken,
          );
          return res.status === 200 && (JSON.parse(res.body) as { items: unknown[] }).items.length > 0;
        },
      };
    }, deadline, tailLines);

    return {
      kubeconfigPath,
      server,
      caPem,
      adminToken,
      dir,
      kubeConfig: () => kubeConfigForToken(adminToken, "admin"),
      kubeConfigForToken,
      writeKubeconfig,
      stop,
    };
  } catch (error) {
    await stop();
    if (error instanceof Error && !keep) {
      error.message += `\n(${dir} was removed; set UPDATE_MANAGER_KUBE_KEEP=1 to keep the full logs)`;
    }
    throw error;
  }
}

function defaultBinDir(): string {
  if (process.env.UPDATE_MANAGER_KUBE_BIN) return process.env.UPDATE_MANAGER_KUBE_BIN;
  const cache = process.env.UPDATE_MANAGER_KUBE_CACHE ?? join(homedir(), ".cache", "update-manager", KUBE_VERSION_DIR);
  return join(cache, "bin");
}

function findOnPath(name: string): string | undefined {
  for (const entry of (process.env.PATH ?? "").split(delimiter)) {
    if (!entry) continue;
    const candidate = join(entry, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  return undefined;
}

function requireExecutable(path: string, hint: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`control plane binary missing or not executable: ${path} (${hint})`);
  }
}

function tokenLine(user: StaticUser): string {
  const groups = user.groups?.length ? `,"${user.groups.join(",")}"` : "";
  return `${user.token},${user.name},${user.name}${groups}`;
}

function kubeconfigObject(server: string, caPem: string, token: string, user: string) {
  return {
    clusters: [{ name: "update-manager-test", server, caData: Buffer.from(caPem).toString("base64") }],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: "update-manager-test", user }],
    currentContext: user,
  };
}

function kubeconfigFile(server: string, caPem: string, token: string, user: string) {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "update-manager-test",
        cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: "update-manager-test", user } }],
    "current-context": user,
  };
}

interface Launch {
  command: string;
  args: string[];
  /** One readiness probe; errors count as not ready yet. */
  ready: () => Promise<boolean>;
}

/**
 * Picks free ports, launches, and waits for readiness. A port picked free can be taken before the component binds
 * it; when the component dies saying so, it is retried on new ports.
 */
async function startWithFreePorts(
  components: Component[],
  name: string,
  dir: string,
  portCount: number,
  launch: (ports: number[]) => Launch,
  deadline: number,
  tailLines: number,
): Promise<{ component: Component; ports: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < portCount; i++) ports.push(await freePort());
    const { command, args, ready } = launch(ports);
    const logPath = join(dir, attempt === 1 ? `${name}.log` : `${name}.${attempt}.log`);
    const component = spawnComponent(name, command, args, logPath, dir);
    components.push(component);
    const outcome = await waitReady(component, ready, deadline);
    if (outcome === "ready") return { component, ports };
    const log = tail(logPath, tailLines);
    if (outcome === "exited" && /address already in use/i.test(log) && attempt < BIND_ATTEMPTS) {
      components.splice(components.indexOf(component), 1);
      continue;
    }
    const why = outcome === "exited" ? `exited with code ${component.exitCode}` : "was not ready before the deadline";
    const others = components
      .filter((c) => c !== component)
      .map((c) => `--- ${c.name} (${c.logPath}) ---\n${tail(c.logPath, tailLines)}`)
      .join("\n");
    throw new Error(`${name} ${why}\n--- ${name} (${logPath}) ---\n${log}\n${others}`);
  }
}

function spawnComponent(name: string, command: string, args: string[], logPath: string, cwd: string): Component {
  const fd = openSync(logPath, "a");
  // detached: its own process group, so stop() reaches any helper it forks.
  const child = spawn(command, args, { cwd, detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  trackProcess(child, { group: true });
  const component: Component = {
    name,
    child,
    logPath,
    exitCode: undefined,
    exited: new Promise((resolve) => {
      child.once("exit", (code) => {
        component.exitCode = code;
        resolve(code);
      });
      child.once("error", () => {
        component.exitCode = null;
        resolve(null);
      });
    }),
  };
  return component;
}

async function waitReady(
  component: Component,
  ready: () => Promise<boolean>,
  deadline: number,
): Promise<"ready" | "exited" | "timeout"> {
  // Bounded by the deadline; probes are cheap loopback requests.
  while (Date.now() < deadline) {
    if (component.exitCode !== undefined) return "exited";
    try {
      if (await ready()) return "ready";
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return component.exitCode !== undefined ? "exited" : "timeout";
}

async function stopComponent(component: Component): Promise<void> {
  if (component.exitCode !== undefined) return;
  killGroup(component.child, "SIGTERM");
  const exitedInTime = await Promise.race([
    component.exited.then(() => true),
    // Nothing of the throwaway cluster needs a clean shutdown: do not wait long for one.
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000).unref()),
  ]);
  if (!exitedInTime) {
    killGroup(component.child, "SIGKILL");
    await component.exited;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines - 1).join("\n");
  } catch {
    return "(no log)";
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 2_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve(body));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

function httpsGet(url: string, ca: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 5_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}
