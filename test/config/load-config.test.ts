import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { type ConfigFiles, loadConfig } from "../../src/config/load-config.js";

/** A file system with exactly these files, and /home/ci as the home directory. */
function filesWith(contents: Record<string, string> = {}): ConfigFiles {
  return {
    readText(path) {
      const text = contents[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
    exists: (path) => path in contents,
    home: () => "/home/ci",
  };
}

const noFiles = filesWith();
const load = (env: Record<string, string>, argv: string[] = [], files = noFiles) => loadConfig(env, argv, files);

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig defaults", () => {
  it("serves the original's port on every address with the embedded cluster and demo mode when nothing is set", () => {
    const config = load({});
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 9000 });
    expect(config.admin).toEqual({ host: "0.0.0.0", port: 9090 });
    expect(config.namespaces).toEqual({ all: true });
    expect(config.apiKey).toBeUndefined();
    expect(config.cluster.mode).toBe("embedded");
    expect(config.cluster.requested).toBe("auto");
    expect(config.insecureDemo).toBe(true);
    expect(config.keyPrefix).toBe("update-manager.io");
    expect(config.legacyAnnotation).toBe(true);
    expect(config.defaultUpdateTimeoutMs).toBe(15 * 60_000);
    expect(config.maxRequestBytes).toBe(1_048_576);
    expect(config.reflection).toBe(true);
    expect(config.log).toEqual({ level: "info", format: "auto" });
    expect(config.tls).toBeUndefined();
    expect(config.shutdownGraceMs).toBe(4000);
  });

  it("treats empty variables as unset", () => {
    expect(load({ UPDATE_MANAGER_LISTENING_PORT: "", UPDATE_MANAGER_LOG_LEVEL: "" }).listen.port).toBe(9000);
  });
});

describe("loadConfig listening address", () => {
  it("reads the correctly spelled variables", () => {
    const config = load({ UPDATE_MANAGER_LISTENING_HOST: "127.0.0.1", UPDATE_MANAGER_LISTENING_PORT: "7000" });
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 7000 });
    // The admin port follows the listening host unless told otherwise.
    expect(config.admin.host).toBe("127.0.0.1");
  });

  it("accepts the original's misspelled UPDATE_MANGER_* names and says so", () => {
    const config = load({ UPDATE_MANGER_LISTENING_HOST: "::", UPDATE_MANGER_LISTENING_PORT: "7001" });
    expect(config.listen).toEqual({ host: "::", port: 7001 });
    expect(config.notices).toContain(
      "using UPDATE_MANGER_LISTENING_PORT, the original's misspelled name; prefer UPDATE_MANAGER_LISTENING_PORT",
    );
  });

  it("prefers the correct spelling when both are set, and says the other is ignored", () => {
    const config = load({ UPDATE_MANAGER_LISTENING_PORT: "7000", UPDATE_MANGER_LISTENING_PORT: "7001" });
    expect(config.listen.port).toBe(7000);
    expect(config.notices).toContain(
      "UPDATE_MANGER_LISTENING_PORT (the original's spelling) is ignored: UPDATE_MANAGER_LISTENING_PORT is set",
    );
  });

  it("lets flags override variables, in both --flag value and --flag=value forms", () => {
    const env = {
      UPDATE_MANAGER_LISTENING_HOST: "0.0.0.0",
      UPDATE_MANAGER_LISTENING_PORT: "7000",
      UPDATE_MANGER_LISTENING_PORT: "7001",
      UPDATE_MANAGER_ADMIN_PORT: "7002",
    };
    const config = load(env, ["--listen-host", "127.0.0.1", "--port=0", "--admin-port", "0"]);
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 0 });
    expect(config.admin.port).toBe(0);
  });

  it("rejects ports that are not integers from 0 to 65535, naming the variable or flag", () => {
    expect(problemsOf(() => load({ UPDATE_MANAGER_LISTENING_PORT: "abc" }))).toEqual([
      'UPDATE_MANAGER_LISTENING_PORT="abc" is not a port: expected an integer from 0 to 65535',
    ]);
    expect(problemsOf(() => load({ UPDATE_MANAGER_ADMIN_PORT: "65536" }))[0]).toMatch(/^UPDATE_MANAGER_ADMIN_PORT=/);
    expect(problemsOf(() => load({}, ["--port", "-1"]))[0]).toMatch(/^--port="-1" is not a port/);
    expect(problemsOf(() => load({}, ["--port"]))).toEqual(["--port needs a value"]);
    expect(problemsOf(() => load({}, ["--port=9.5"]))[0]).toMatch(/^--port="9.5" is not a port/);
    expect(load({ UPDATE_MANAGER_LISTENING_PORT: "65535" }).listen.port).toBe(65535);
  });

  it("rejects the same port for the API and the admin server", () => {
    expect(problemsOf(() => load({ UPDATE_MANAGER_ADMIN_PORT: "9000" }))).toEqual([
      "the API port and the admin port are both 9000: they must differ",
    ]);
  });

  it("rejects unknown command-line arguments", () => {
    expect(problemsOf(() => load({}, ["--prot", "9000"]))[0]).toMatch(/^unknown argument "--prot"/);
  });
});

describe("loadConfig namespaces", () => {
  it("restricts to UPDATE_MANAGER_NAMESPACES when autoload is false", () => {
    const config = load({ UPDATE_MANAGER_AUTOLOAD_NAMESPACES: "false", UPDATE_MANAGER_NAMESPACES: "shop, billing,shop" });
    expect(config.namespaces).toEqual({ all: false, names: ["shop", "billing"] });
  });

  it("restricts to UPDATE_MANAGER_NAMESPACES set alone, with a notice", () => {
    const config = load({ UPDATE_MANAGER_NAMESPACES: "shop" });
    expect(config.namespaces).toEqual({ all: false, names: ["shop"] });
    expect(config.notices).toContain(
      "UPDATE_MANAGER_NAMESPACES is set without UPDATE_MANAGER_AUTOLOAD_NAMESPACES: watching only shop",
    );
  });

  it("watches every namespace when autoload is true, saying the list is ignored", () => {
    const config = load({ UPDATE_MANAGER_AUTOLOAD_NAMESPACES: "YES", UPDATE_MANAGER_NAMESPACES: "shop" });
    expect(config.namespaces).toEqual({ all: true });
    expect(config.notices.some((notice) => notice.startsWith("UPDATE_MANAGER_NAMESPACES is ignored"))).toBe(true);
  });

  it("rejects autoload false without namespaces, and names that are not DNS-1123 labels", () => {
    expect(problemsOf(() => load({ UPDATE_MANAGER_AUTOLOAD_NAMESPACES: "0" }))).toEqual([
      "UPDATE_MANAGER_AUTOLOAD_NAMESPACES=false needs the namespaces to watch in UPDATE_MANAGER_NAMESPACES",
    ]);
    const problems = problemsOf(() => load({ UPDATE_MANAGER_NAMESPACES: "Shop,ok,-bad,a.b" }));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('"Shop" is not a namespace name');
  });
});

describe("loadConfig booleans", () => {
  it.each([
    ["true", true],
    ["TRUE", true],
    ["1", true],
    ["Yes", true],
    ["false", false],
    ["0", false],
    ["no", false],
    ["NO", false],
  ])("reads %s as %s", (text, value) => {
    expect(load({ UPDATE_MANAGER_REFLECTION: text }).reflection).toBe(value);
  });

  it("rejects anything else", () => {
    expect(problemsOf(() => load({ UPDATE_MANAGER_REFLECTION: "on" }))).toEqual([
      'UPDATE_MANAGER_REFLECTION="on" is not a boolean: expected true, false, 1, 0, yes or no',
    ]);
  });
});

describe("loadConfig API key", () => {
  it("takes the key from UPDATE_MANAGER_API_KEY", () => {
    expect(load({ UPDATE_MANAGER_API_KEY: "0123456789abcdef" }).apiKey).toBe("0123456789abcdef");
  });

  it("reads the key from UPDATE_MANAGER_API_KEY_FILE, trimmed", () => {
    const files = filesWith({ "/run/secrets/key": "  0123456789abcdef\n" });
    expect(load({ UPDATE_MANAGER_API_KEY_FILE: "/run/secrets/key" }, [], files).apiKey).toBe("0123456789abcdef");
  });

  it("rejects short, empty, unreadable and doubly configured keys", () => {
    expect(problemsOf(() => load({ UPDATE_MANAGER_API_KEY: "short" }))).toEqual([
      "UPDATE_MANAGER_API_KEY is too short: use at least 16 characters",
    ]);
    expect(problemsOf(() => load({ UPDATE_MANAGER_API_KEY: "" }))).toEqual([
      "UPDATE_MANAGER_API_KEY is empty: use at least 16 characters",
    ]);
    expect(problemsOf(() => load({ UPDATE_MANAGER_API_KEY_FILE: "/missing" }))[0]).toMatch(
      /^UPDATE_MANAGER_API_KEY_FILE: cannot read \/missing: ENOENT/,
    );
    const emptyFile = filesWith({ "/key": "\n" });
    expect(problemsOf(() => load({ UPDATE_MANAGER_API_KEY_FILE: "/key" }, [], emptyFile))[0]).toContain("is empty");
    expect(
      problemsOf(() => load({ UPDATE_MANAGER_API_KEY: "0123456789abcdef", UPDATE_MANAGER_API_KEY_FILE: "/key" })),
    ).toEqual(["UPDATE_MANAGER_API_KEY and UPDATE_MANAGER_API_KEY_FILE are both set: set one"]);
  });
});

/** A kubeconfig as kubectl writes one (only its shape matters to loadConfig). */
const kubeconfigText = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n";

describe("loadConfig cluster", () => {
  it("uses kubernetes inside a pod", () => {
    const config = load({ KUBERNETES_SERVICE_HOST: "10.0.0.1" });
    expect(config.cluster.mode).toBe("kubernetes");
    expect(config.cluster.reason).toContain("KUBERNETES_SERVICE_HOST");
    // No demo mode on a real cluster unless asked for.
    expect(config.insecureDemo).toBe(false);
    expect(config.notices).toContain(
      "no credential is configured and insecure demo mode is off: mutating RPCs will be refused",
    );
  });

  it("uses kubernetes inside a pod that has a ServiceAccount token but no KUBERNETES_SERVICE_HOST", () => {
    const config = load({}, [], filesWith({ "/var/run/secrets/kubernetes.io/serviceaccount/token": "eyJ..." }));
    expect(config.cluster).toMatchObject({ mode: "kubernetes", reason: expect.stringContaining("serviceaccount/token") });
  });

  it("uses kubernetes when a kubeconfig exists at KUBECONFIG or ~/.kube/config", () => {
    const fromVariable = load({ KUBECONFIG: "/nope:/etc/kube.yaml" }, [], filesWith({ "/etc/kube.yaml": kubeconfigText }));
    expect(fromVariable.cluster).toMatchObject({ mode: "kubernetes", reason: "kubeconfig /etc/kube.yaml (KUBECONFIG)" });
    const fromHome = load({}, [], filesWith({ "/home/ci/.kube/config": kubeconfigText }));
    expect(fromHome.cluster).toMatchObject({ mode: "kubernetes", reason: "kubeconfig /home/ci/.kube/config" });
  });

  it("uses the embedded cluster only with no KUBECONFIG, no ~/.kube/config and no pod, and says why", () => {
    const config = load({});
    expect(config.cluster).toEqual({
      mode: "embedded",
      requested: "auto",
      reason: "no KUBECONFIG, no ~/.kube/config and not in a pod",
    });
  });

  it("stops start-up, naming each file, when no file KUBECONFIG lists exists: never a silent demo cluster", () => {
    const home = filesWith({ "/home/ci/.kube/config": kubeconfigText });
    for (const request of ["auto", "kubernetes"]) {
      expect(problemsOf(() => load({ UPDATE_MANAGER_CLUSTER: request, KUBECONFIG: "/nope:/gone.yaml" }, [], home))).toEqual([
        "KUBECONFIG names no file that exists: /nope (missing), /gone.yaml (missing)",
      ]);
    }
  });

  it("stops start-up, naming each file, when an existing KUBECONFIG file does not parse", () => {
    const files = filesWith({ "/a.yaml": "clusters: [unclosed", "/b.yaml": "- a list", "/c.yaml": kubeconfigText });
    const problems = problemsOf(() => load({ KUBECONFIG: "/a.yaml:/b.yaml:/c.yaml" }, [], files));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^KUBECONFIG: \/a\.yaml cannot be read as a kubeconfig: /);
    expect(problems[1]).toBe("KUBECONFIG: /b.yaml is not a kubeconfig (expected a YAML mapping with clusters, users and contexts)");
  });

  it("uses kubernetes when asked, even with nothing to find the cluster with: it never falls back", () => {
    const config = load({ UPDATE_MANAGER_CLUSTER: "kubernetes" });
    expect(config.cluster).toMatchObject({ mode: "kubernetes", reason: "UPDATE_MANAGER_CLUSTER=kubernetes" });
    expect(config.insecureDemo).toBe(false);
  });

  it("obeys an explicit choice, and demo mode follows the mode unless set", () => {
    const embedded = load({ UPDATE_MANAGER_CLUSTER: "embedded", KUBERNETES_SERVICE_HOST: "10.0.0.1" });
    expect(embedded.cluster.mode).toBe("embedded");
    expect(embedded.insecureDemo).toBe(true);
    const kubernetes = load({ UPDATE_MANAGER_CLUSTER: "Kubernetes", UPDATE_MANAGER_INSECURE_DEMO: "true" });
    expect(kubernetes.cluster.mode).toBe("kubernetes");
    expect(kubernetes.insecureDemo).toBe(true);
    expect(kubernetes.notices.some((notice) => notice.startsWith("UPDATE_MANAGER_INSECURE_DEMO is on"))).toBe(true);
    expect(problemsOf(() => load({ UPDATE_MANAGER_CLUSTER: "minikube" }))).toEqual([
      'UPDATE_MANAGER_CLUSTER="minikube" is not one of auto, embedded, kubernetes',
    ]);
  });
});

describe("loadConfig insecure demo mode", () => {
  it("is on for the embedded cluster with no credential, and says why", () => {
    const config = load({});
    expect(config.insecureDemo).toBe(true);
    expect(config.insecureDemoReason).toBe("the embedded cluster with no credential configured");
  });

  it("is off on the embedded cluster as soon as any credential is configured", () => {
    const files = filesWith({ "/run/key": "0123456789abcdef0123", "/etc/keys.yaml": "", "/etc/oidc.yaml": "" });
    for (const [name, value] of [
      ["UPDATE_MANAGER_API_KEY", "0123456789abcdef0123"],
      ["UPDATE_MANAGER_API_KEY_FILE", "/run/key"],
      ["UPDATE_MANAGER_API_KEYS", "ci=sha256:abc"],
      ["UPDATE_MANAGER_API_KEYS_FILE", "/etc/keys.yaml"],
      ["UPDATE_MANAGER_OIDC_CONFIG_FILE", "/etc/oidc.yaml"],
    ] as const) {
      const config = load({ [name]: value }, [], files);
      expect(config.cluster.mode).toBe("embedded");
      expect(config.insecureDemo).toBe(false);
      expect(config.insecureDemoReason).toBe(`a credential is configured: ${name}`);
      // A credential exists: no warning that everything will be refused.
      expect(config.notices.some((notice) => notice.startsWith("no credential is configured"))).toBe(false);
    }
  });

  it("stays on with a credential only when UPDATE_MANAGER_INSECURE_DEMO=true is set explicitly", () => {
    const config = load({ UPDATE_MANAGER_API_KEY: "0123456789abcdef0123", UPDATE_MANAGER_INSECURE_DEMO: "true" });
    expect(config.insecureDemo).toBe(true);
    expect(config.insecureDemoReason).toBe("UPDATE_MANAGER_INSECURE_DEMO=true");
  });
});

describe("loadConfig other settings", () => {
  it("reads Go-style durations", () => {
    const config = load({ UPDATE_MANAGER_DEFAULT_UPDATE_TIMEOUT: "1h30m", UPDATE_MANAGER_SHUTDOWN_GRACE: "1.5s" });
    expect(config.defaultUpdateTimeoutMs).toBe(90 * 60_000);
    expect(config.shutdownGraceMs).toBe(1500);
    expect(load({ UPDATE_MANAGER_SHUTDOWN_GRACE: "0" }).shutdownGraceMs).toBe(0);
    expect(problemsOf(() => load({ UPDATE_MANAGER_DEFAULT_UPDATE_TIMEOUT: "0" }))[0]).toMatch(/not a positive duration/);
    expect(problemsOf(() => load({ UPDATE_MANAGER_DEFAULT_UPDATE_TIMEOUT: "15" }))[0]).toMatch(/not a positive duration/);
  });

  it("reads the request size limit, log settings and key prefix", () => {
    const config = load({
      UPDATE_MANAGER_MAX_REQUEST_BYTES: "4096",
      UPDATE_MANAGER_LOG_LEVEL: "debug",
      UPDATE_MANAGER_LOG_FORMAT: "json",
      UPDATE_MANAGER_KEY_PREFIX: "example.com",
      UPDATE_MANAGER_LEGACY_ANNOTATION: "false",
    });
    expect(config.maxRequestBytes).toBe(4096);
    expect(config.log).toEqual({ level: "debug", format: "json" });
    expect(config.keyPrefix).toBe("example.com");
    expect(config.legacyAnnotation).toBe(false);
  });

  it("requires both TLS files or neither, and existing ones", () => {
    expect(problemsOf(() => load({ UPDATE_MANAGER_TLS_CERT_FILE: "/tls/cert.pem" }))).toEqual([
      "UPDATE_MANAGER_TLS_CERT_FILE and UPDATE_MANAGER_TLS_KEY_FILE go together: set both or neither",
    ]);
    const tls = { UPDATE_MANAGER_TLS_CERT_FILE: "/tls/cert.pem", UPDATE_MANAGER_TLS_KEY_FILE: "/tls/key.pem" };
    expect(load(tls, [], filesWith({ "/tls/cert.pem": "", "/tls/key.pem": "" })).tls).toEqual({
      certFile: "/tls/cert.pem",
      keyFile: "/tls/key.pem",
    });
    expect(problemsOf(() => load(tls))).toEqual([
      "UPDATE_MANAGER_TLS_CERT_FILE: /tls/cert.pem does not exist",
      "UPDATE_MANAGER_TLS_KEY_FILE: /tls/key.pem does not exist",
    ]);
  });

  it("accepts SENTRY_DSN with a notice that it is ignored", () => {
    const config = load({ SENTRY_DSN: "https://key@sentry.example/1" });
    expect(config.notices.some((notice) => notice.startsWith("SENTRY_DSN is ignored"))).toBe(true);
  });

  it("notices unknown UPDATE_MANAGER_* variables and suggests the intended one", () => {
    const config = load({ UPDATE_MANAGER_LOGLEVEL: "debug", UPDATE_MANAGER_COLOUR: "blue" });
    expect(config.log.level).toBe("info");
    expect(config.notices).toContain(
      "unknown variable UPDATE_MANAGER_LOGLEVEL is ignored; did you mean UPDATE_MANAGER_LOG_LEVEL?",
    );
    expect(config.notices).toContain("unknown variable UPDATE_MANAGER_COLOUR is ignored");
  });
});

describe("loadConfig errors", () => {
  it("lists every problem at once in the message", () => {
    const error = (() => {
      try {
        load(
          {
            UPDATE_MANAGER_LISTENING_PORT: "abc",
            UPDATE_MANAGER_REFLECTION: "maybe",
            UPDATE_MANAGER_LOG_LEVEL: "verbose",
            UPDATE_MANAGER_MAX_REQUEST_BYTES: "1MB",
            UPDATE_MANAGER_API_KEY: "short",
          },
          ["--bogus"],
        );
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const { message, problems } = error as ConfigError;
    expect(problems).toHaveLength(6);
    for (const name of [
      "--bogus",
      "UPDATE_MANAGER_LISTENING_PORT",
      "UPDATE_MANAGER_REFLECTION",
      "UPDATE_MANAGER_LOG_LEVEL",
      "UPDATE_MANAGER_MAX_REQUEST_BYTES",
      "UPDATE_MANAGER_API_KEY",
    ]) {
      expect(message).toContain(name);
    }
    expect(message.split("\n")[0]).toBe("invalid configuration:");
  });
});

describe("loadConfig durable updates and leader election", () => {
  const inCluster = { KUBERNETES_SERVICE_HOST: "10.0.0.1" };

  it("records updates as UpdateRuns on a real cluster and in memory when embedded", () => {
    expect(load(inCluster).store).toBe("kubernetes");
    expect(load({}).store).toBe("memory");
    expect(load({ ...inCluster, UPDATE_MANAGER_STORE: "Memory" }).store).toBe("memory");
  });

  it("refuses UpdateRuns without the Kubernetes cluster, and unknown stores", () => {
    expect(problemsOf(() => load({ UPDATE_MANAGER_STORE: "kubernetes" }))[0]).toMatch(
      /^UPDATE_MANAGER_STORE=kubernetes needs the Kubernetes cluster, but the embedded one is used/,
    );
    expect(problemsOf(() => load({ ...inCluster, UPDATE_MANAGER_STORE: "etcd" }))).toEqual([
      'UPDATE_MANAGER_STORE="etcd" is not one of kubernetes, memory',
    ]);
  });

  it("takes the namespace and identity from the pod, with explicit variables winning", () => {
    const fromPod = load({ ...inCluster, POD_NAMESPACE: "ops", POD_NAME: "update-manager-7d9c-x2" });
    expect(fromPod.managerNamespace).toBe("ops");
    expect(fromPod.identity).toBe("update-manager-7d9c-x2");
    const explicit = load({ ...inCluster, POD_NAMESPACE: "ops", UPDATE_MANAGER_NAMESPACE: "um", UPDATE_MANAGER_IDENTITY: "a" });
    expect(explicit.managerNamespace).toBe("um");
    expect(explicit.identity).toBe("a");
    const defaults = load({ ...inCluster, HOSTNAME: "box" });
    expect(defaults.managerNamespace).toBe("update-manager");
    // Two processes on one host must not share an identity: the process id tells them apart.
    expect(defaults.identity).toBe(`box-${process.pid}`);
    expect(problemsOf(() => load({ ...inCluster, UPDATE_MANAGER_NAMESPACE: "Ops_1" }))[0]).toContain('"Ops_1"');
  });

  it("uses client-go's lease timings by default and refuses an order that would let two leaders overlap", () => {
    expect(load(inCluster).leaderElection).toEqual({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    const fast = load({
      ...inCluster,
      UPDATE_MANAGER_LEASE_DURATION: "4s",
      UPDATE_MANAGER_LEASE_RENEW_DEADLINE: "2500ms",
      UPDATE_MANAGER_LEASE_RETRY_PERIOD: "500ms",
    });
    expect(fast.leaderElection).toEqual({ leaseDurationMs: 4000, renewDeadlineMs: 2500, retryPeriodMs: 500 });
    expect(
      problemsOf(() => load({ ...inCluster, UPDATE_MANAGER_LEASE_DURATION: "10s", UPDATE_MANAGER_LEASE_RENEW_DEADLINE: "10s" })),
    ).toEqual([
      "UPDATE_MANAGER_LEASE_RENEW_DEADLINE must be less than UPDATE_MANAGER_LEASE_DURATION: a leader must stop before others may take over",
    ]);
    expect(problemsOf(() => load({ ...inCluster, UPDATE_MANAGER_LEASE_DURATION: "15500ms" }))[0]).toContain("whole seconds");
    expect(problemsOf(() => load({ ...inCluster, UPDATE_MANAGER_LEASE_RETRY_PERIOD: "10s" }))).toEqual([
      "UPDATE_MANAGER_LEASE_RETRY_PERIOD must be less than UPDATE_MANAGER_LEASE_RENEW_DEADLINE",
    ]);
  });

  it("reads the retention of finished runs", () => {
    expect(load(inCluster).retention).toEqual({ maxAgeMs: 720 * 3_600_000, maxCount: 1000 });
    const custom = load({ ...inCluster, UPDATE_MANAGER_RETENTION_MAX_AGE: "24h", UPDATE_MANAGER_RETENTION_MAX_COUNT: "50" });
    expect(custom.retention).toEqual({ maxAgeMs: 86_400_000, maxCount: 50 });
    expect(problemsOf(() => load({ ...inCluster, UPDATE_MANAGER_RETENTION_MAX_COUNT: "-1" }))).toEqual([
      'UPDATE_MANAGER_RETENTION_MAX_COUNT="-1" is not a count: expected an integer from 0',
    ]);
  });
});
