import { readFileSync } from "node:fs";
import { join } from "node:path";
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1Container,
  V1Deployment,
  V1PodDisruptionBudget,
  V1PolicyRule,
  V1Role,
  V1RoleBinding,
  V1Service,
} from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  declaredObjects,
  findObject,
  type KubeObject,
  kubeDir,
  readKustomization,
  readYamlFile,
  yamlFilesIn,
} from "./kustomize-files.js";

const baseDir = join(kubeDir, "base");
const namespacedDir = join(kubeDir, "namespaced");
const base = declaredObjects(baseDir);
const namespaced = declaredObjects(namespacedDir);

const deployment = findObject(base, "Deployment", "update-manager") as unknown as V1Deployment;
const podSpec = deployment.spec!.template.spec!;
const container = podSpec.containers.find((c) => c.name === "update-manager") as V1Container;
const podLabels = deployment.spec!.template.metadata!.labels!;
const clusterRole = findObject(base, "ClusterRole", "update-manager") as unknown as V1ClusterRole;
const role = findObject(base, "Role", "update-manager") as unknown as V1Role;

/** Every (apiGroup, resource, verb) a set of rules grants, as `verb resource.group` strings. */
function grants(rules: V1PolicyRule[]): string[] {
  return rules
    .flatMap((rule) =>
      (rule.apiGroups ?? []).flatMap((group) =>
        (rule.resources ?? []).flatMap((resource) =>
          rule.verbs.map((verb) => `${verb} ${group === "" ? resource : `${resource}.${group}`}`),
        ),
      ),
    )
    .sort();
}

/**
 * A NetworkPolicy as its YAML spells it (client-node's model renames `from` to `_from`, so its type does not fit
 * parsed YAML).
 */
interface NetworkPolicyYaml {
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: string[];
    ingress: { from?: unknown[]; ports?: { port: number; protocol: string }[] }[];
    egress: { to?: unknown[]; ports?: { port: number; protocol: string }[] }[];
  };
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return selector !== undefined && Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function rbacRules(objects: KubeObject[]): V1PolicyRule[] {
  return objects
    .filter((o) => o.kind === "ClusterRole" || o.kind === "Role")
    .flatMap((o) => (o as unknown as V1Role).rules ?? []);
}

describe("kube/base kustomization", () => {
  it("installs every manifest in the directory, each exactly once", () => {
    const listed = readKustomization(baseDir).resources ?? [];
    // *.example.yaml files are templates to copy (a Secret with key hashes, OIDC rules), never installed as they are.
    expect([...listed].sort()).toEqual(
      yamlFilesIn(baseDir).filter((f) => f !== "kustomization.yaml" && !f.endsWith(".example.yaml")),
    );
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("puts every namespaced object in the update-manager namespace", () => {
    const clusterScoped = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"]);
    for (const object of base.filter((o) => !clusterScoped.has(o.kind))) {
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe("update-manager");
    }
    expect(findObject(base, "Namespace").metadata.name).toBe("update-manager");
  });
});

describe("the manager's Deployment", () => {
  it("runs two replicas as the update-manager ServiceAccount, its image set by the kustomization's `images:`", () => {
    expect(deployment.spec!.replicas).toBe(2);
    expect(container.image).toBe("update-manager");
    expect(readKustomization(baseDir).images).toEqual([
      { name: "update-manager", newName: "ghcr.io/update-manager/update-manager", newTag: "0.1.0" },
    ]);
    expect(podSpec.serviceAccountName).toBe(findObject(base, "ServiceAccount").metadata.name);
  });

  it("runs as the image's non-root user 65532, read-only, without privilege escalation, capabilities or an unconfined seccomp", () => {
    const security = container.securityContext!;
    expect(podSpec.securityContext?.runAsNonRoot).toBe(true);
    expect(security.runAsNonRoot).toBe(true);
    expect(security.runAsUser).toBe(65532);
    expect(security.runAsGroup).toBe(65532);
    expect(podSpec.securityContext?.runAsUser).toBe(65532);
    expect(podSpec.securityContext?.runAsGroup).toBe(65532);
    expect(podSpec.securityContext?.fsGroup).toBe(65532);
    expect(security.readOnlyRootFilesystem).toBe(true);
    expect(security.allowPrivilegeEscalation).toBe(false);
    expect(security.privileged ?? false).toBe(false);
    expect(security.capabilities?.drop).toEqual(["ALL"]);
    expect(security.capabilities?.add ?? []).toEqual([]);
    expect(security.seccompProfile?.type).toBe("RuntimeDefault");
    expect(podSpec.securityContext?.seccompProfile?.type).toBe("RuntimeDefault");
    expect(podSpec.hostNetwork ?? false).toBe(false);
    expect(podSpec.hostPID ?? false).toBe(false);
  });

  it("has a writable /tmp from an emptyDir, the only writable path", () => {
    const mounts = container.volumeMounts ?? [];
    expect(mounts.map((m) => m.mountPath)).toEqual(["/tmp"]);
    const volume = podSpec.volumes?.find((v) => v.name === mounts[0]!.name);
    expect(volume?.emptyDir).toBeDefined();
  });

  it("probes liveness on /healthz over HTTP on the admin port 9090 and readiness with gRPC health on the API port 9000", () => {
    const admin = container.ports?.find((p) => p.name === "admin");
    expect(admin?.containerPort).toBe(9090);
    expect(container.ports?.find((p) => p.name === "api")?.containerPort).toBe(9000);
    // Liveness never depends on the API server: an outage must not restart the manager.
    expect(container.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "admin" });
    expect(container.readinessProbe?.grpc).toEqual({ port: 9000 });
    expect(container.readinessProbe?.httpGet).toBeUndefined();
  });

  it("uses the Kubernetes cluster explicitly, never the embedded demo cluster", () => {
    expect(container.env?.find((e) => e.name === "UPDATE_MANAGER_CLUSTER")?.value).toBe("kubernetes");
  });

  it("requests and limits CPU and memory, with V8's heap capped below the memory limit", () => {
    for (const bound of [container.resources?.requests, container.resources?.limits]) {
      expect(bound?.cpu).toBeDefined();
      expect(bound?.memory).toBeDefined();
    }
    const mebibytes = (quantity: string) => {
      const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
      if (!match) throw new Error(`unexpected memory quantity ${quantity}`);
      return Number(match[1]) * (match[2] === "Gi" ? 1024 : 1);
    };
    const limit = mebibytes(String(container.resources!.limits!.memory));
    const request = mebibytes(String(container.resources!.requests!.memory));
    // Measured idle RSS is about 250 MiB: the request covers it.
    expect(request).toBeGreaterThanOrEqual(256);
    const heap = /--max-old-space-size=(\d+)/.exec(container.env?.find((e) => e.name === "NODE_OPTIONS")?.value ?? "");
    expect(heap, "NODE_OPTIONS sets --max-old-space-size").not.toBeNull();
    expect(Number(heap![1])).toBeLessThanOrEqual(limit * 0.8);
  });

  it("takes the API key from the optional Secret update-manager-api-key, so it starts without one", () => {
    const apiKey = container.env?.find((e) => e.name === "UPDATE_MANAGER_API_KEY");
    expect(apiKey?.valueFrom?.secretKeyRef).toEqual({ name: "update-manager-api-key", key: "api-key", optional: true });
    // No literal secrets in the manifests.
    expect(container.env?.filter((e) => /KEY|TOKEN|PASSWORD/.test(e.name) && e.value !== undefined)).toEqual([]);
  });

  it("spreads its replicas across nodes", () => {
    const byHostname = podSpec.topologySpreadConstraints?.find((c) => c.topologyKey === "kubernetes.io/hostname");
    expect(byHostname?.maxSkew).toBe(1);
    expect(matches(byHostname?.labelSelector?.matchLabels, podLabels)).toBe(true);
  });
});

describe("Service, PodDisruptionBudget and NetworkPolicy", () => {
  it("exposes the API on 9000 as h2c (gRPC and HTTP/1.1 both work over it) and the admin port on 9090", () => {
    const service = findObject(base, "Service") as unknown as V1Service;
    expect(matches(service.spec?.selector, podLabels)).toBe(true);
    const api = service.spec?.ports?.find((p) => p.name === "api");
    expect(api).toMatchObject({ port: 9000, targetPort: "api", appProtocol: "kubernetes.io/h2c" });
    expect(service.spec?.ports?.find((p) => p.name === "admin")).toMatchObject({ port: 9090, targetPort: "admin" });
  });

  it("keeps at least one replica through voluntary disruptions", () => {
    const pdb = findObject(base, "PodDisruptionBudget") as unknown as V1PodDisruptionBudget;
    expect(pdb.apiVersion).toBe("policy/v1");
    expect(pdb.spec?.minAvailable).toBe(1);
    expect(matches(pdb.spec?.selector?.matchLabels, podLabels)).toBe(true);
  });

  it("admits the API from the cluster and the admin port from monitoring only, and lets out DNS and the API server", () => {
    const policy = findObject(base, "NetworkPolicy") as unknown as NetworkPolicyYaml;
    expect(matches(policy.spec.podSelector.matchLabels, podLabels)).toBe(true);
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    const ingressFor = (port: number) => policy.spec.ingress.find((r) => r.ports?.some((p) => p.port === port));
    expect(ingressFor(9000)?.from).toEqual([{ namespaceSelector: {} }]);
    expect(ingressFor(9090)?.from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
    ]);
    const egressPorts = policy.spec.egress.flatMap((r) => (r.ports ?? []).map((p) => `${p.protocol}/${p.port}`));
    expect(egressPorts.sort()).toEqual(["TCP/443", "TCP/53", "TCP/6443", "UDP/53"]);
  });
});

describe("RBAC", () => {
  const allRules = [...rbacRules(base), ...rbacRules(namespaced)];

  it("grants no wildcard verb, resource or API group", () => {
    for (const rule of allRules) {
      expect(rule.verbs).not.toContain("*");
      expect(rule.resources ?? []).not.toContain("*");
      expect(rule.apiGroups ?? []).not.toContain("*");
      expect(rule.nonResourceURLs ?? []).toEqual([]);
    }
  });

  it("grants only get on Secrets (pull secrets read by name), never list or watch", () => {
    for (const rule of allRules) {
      if ((rule.resources ?? []).includes("secrets")) expect(rule.verbs).toEqual(["get"]);
    }
  });

  it("never deletes or updates workloads and never escalates, binds or impersonates", () => {
    const forbidden = new Set(["delete", "deletecollection", "update", "escalate", "bind", "impersonate"]);
    for (const grant of grants(clusterRole.rules ?? [])) {
      expect(forbidden.has(grant.split(" ")[0]!), grant).toBe(false);
    }
  });

  it("grants cluster-wide exactly the reads, patches and creates the manager uses", () => {
    const workloadVerbs = ["get", "list", "watch", "patch"];
    const expected = [
      ...["deployments.apps", "statefulsets.apps", "daemonsets.apps", "cronjobs.batch"].flatMap((resource) =>
        workloadVerbs.map((verb) => `${verb} ${resource}`),
      ),
      ...[...workloadVerbs, "create"].map((verb) => `${verb} jobs.batch`),
      ...["get", "list", "watch"].map((verb) => `${verb} pods`),
      ...["create", "patch"].flatMap((verb) => [`${verb} events`, `${verb} events.events.k8s.io`]),
      "get secrets", // pull secrets, by name.
    ].sort();
    expect(grants(clusterRole.rules ?? [])).toEqual(expected);
  });

  it("grants the Lease, the UpdateRuns, the quarantine ConfigMap and the UpdateRuns' Events in the manager's own namespace only", () => {
    expect(role.metadata?.namespace).toBe("update-manager");
    expect(grants(role.rules ?? [])).toEqual(
      [
        "create leases.coordination.k8s.io",
        "get leases.coordination.k8s.io",
        "update leases.coordination.k8s.io",
        ...["get", "list", "watch", "create", "delete"].map((verb) => `${verb} updateruns.updatemanager.io`),
        "update updateruns/status.updatemanager.io",
        "create configmaps",
        "get configmaps",
        "patch configmaps",
        "watch configmaps",
        // Update-level step Events on the UpdateRuns.
        ...["create", "patch"].flatMap((verb) => [`${verb} events`, `${verb} events.events.k8s.io`]),
      ].sort(),
    );
    // Reading and changing ConfigMaps is limited to the quarantine and watch-state ones; only create cannot be limited by name.
    for (const rule of role.rules ?? []) {
      if (!(rule.resources ?? []).includes("configmaps")) continue;
      if (rule.verbs.includes("create")) expect(rule.verbs).toEqual(["create"]);
      else expect(rule.resourceNames).toEqual(["update-manager-quarantine", "update-manager-watch", "update-manager-notifications", "update-manager-freeze"]);
    }
    const binding = findObject(base, "RoleBinding", "update-manager") as unknown as V1RoleBinding;
    expect(binding.roleRef).toMatchObject({ kind: "Role", name: "update-manager" });
  });

  it("is documented grant for grant in kube/README.md's RBAC table", () => {
    const readme = readFileSync(join(kubeDir, "README.md"), "utf8");
    const rows = readme
      .split("\n")
      .filter((line) => /^\| (cluster|own namespace) \|/.test(line))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    const documented = (scope: string) =>
      rows
        .filter(([, rowScope]) => rowScope === scope)
        .flatMap(([, , group, resources, verbs]) =>
          grants([
            {
              apiGroups: [group === "core" ? "" : group!],
              resources: resources!.split(",").map((r) => r.trim()),
              verbs: verbs!.split(",").map((v) => v.trim()),
            },
          ]),
        )
        .sort();
    expect(documented("cluster")).toEqual(grants(clusterRole.rules ?? []));
    expect(documented("own namespace")).toEqual(grants(role.rules ?? []));
  });

  it("binds the ClusterRole and the Role to the manager's ServiceAccount", () => {
    const serviceAccount = findObject(base, "ServiceAccount");
    const subject = { kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: "update-manager" };
    const clusterBinding = findObject(base, "ClusterRoleBinding") as unknown as V1ClusterRoleBinding;
    expect(clusterBinding.roleRef).toMatchObject({ kind: "ClusterRole", name: clusterRole.metadata?.name });
    expect(clusterBinding.subjects).toEqual([subject]);
    expect((findObject(base, "RoleBinding") as unknown as V1RoleBinding).subjects).toEqual([subject]);
  });
});

describe("the NodeUpgradePlan CustomResourceDefinition", () => {
  interface CrdYaml {
    spec: {
      group: string;
      scope: string;
      names: { kind: string; plural: string; shortNames?: string[] };
      versions: { name: string; served: boolean; storage: boolean; subresources?: { status?: object }; additionalPrinterColumns?: { name: string; jsonPath: string }[] }[];
    };
  }
  const crd = findObject(base, "CustomResourceDefinition", "nodeupgradeplans.updatemanager.io") as unknown as CrdYaml;

  it("is namespaced in the project's group, with the short name nup and one served version", () => {
    expect(crd.spec).toMatchObject({ group: "updatemanager.io", scope: "Namespaced", names: { kind: "NodeUpgradePlan", plural: "nodeupgradeplans", shortNames: ["nup"] } });
    expect(crd.spec.versions.map((version) => [version.name, version.served, version.storage])).toEqual([["v1alpha1", true, true]]);
  });

  it("has a status subresource (the leader's claims are written there) and printer columns for kubectl get nup", () => {
    const [version] = crd.spec.versions;
    expect(version!.subresources?.status).toEqual({});
    expect(version!.additionalPrinterColumns?.map((column) => `${column.name} ${column.jsonPath}`)).toEqual([
      "Image .spec.upgrade.image",
      "Channel .spec.channel",
      "Version .spec.version",
      "Latest .status.latestVersion",
      "Complete .status.conditions[?(@.type=='Complete')].status",
      "Applying .status.applying",
      "Message .status.message",
      "Age .metadata.creationTimestamp",
    ]);
  });
});

describe("kube/namespaced variant", () => {
  const kustomization = readKustomization(namespacedDir);
  const namespacePatch = readYamlFile(join(namespacedDir, "deployment-namespaces.yaml"))[0] as V1Deployment;
  const env = namespacePatch.spec!.template.spec!.containers[0]!.env!;
  const watched = env.find((e) => e.name === "UPDATE_MANAGER_NAMESPACES")!.value!.split(",");
  const bindings = namespaced.filter((o) => o.kind === "RoleBinding" && o.metadata.namespace !== "update-manager");

  it("turns namespace auto-loading off and watches a fixed list", () => {
    expect(env.find((e) => e.name === "UPDATE_MANAGER_AUTOLOAD_NAMESPACES")?.value).toBe("false");
    expect(watched.length).toBeGreaterThan(0);
  });

  it("binds the manager's rules in exactly the watched namespaces", () => {
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual([...watched].sort());
    for (const binding of bindings as unknown as V1RoleBinding[]) {
      expect(binding.roleRef).toEqual({
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: clusterRole.metadata?.name,
      });
      expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "update-manager", namespace: "update-manager" }]);
    }
  });

  it("lists every watch file it ships", () => {
    const watchFiles = yamlFilesIn(namespacedDir).filter((f) => f.startsWith("watch-"));
    expect([...(kustomization.resources ?? [])].sort()).toEqual(watchFiles);
  });

  it("empties the cluster-wide binding instead of dropping it, so applying it over kube/base revokes cluster access", () => {
    const patch = kustomization.patchesJson6902?.find((p) => p.target.kind === "ClusterRoleBinding");
    expect(patch?.target.name).toBe("update-manager");
    expect(readYamlFile(join(namespacedDir, patch!.path))[0]).toEqual([{ op: "remove", path: "/subjects" }]);
  });
});

const deploymentTarget = { group: "apps", version: "v1", kind: "Deployment", name: "update-manager", namespace: "update-manager" };
const httpReadiness = [
  {
    op: "replace",
    path: "/spec/template/spec/containers/0/readinessProbe",
    value: { httpGet: { path: "/readyz", port: "admin" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
  },
];

describe("kube/overlays for the 1.20 test control plane", () => {
  it.each(["test-1.20", "test-1.20-namespaced"])(
    "%s only downgrades the PodDisruptionBudget to policy/v1beta1 and probes readiness over HTTP (no gRPC probe in 1.20)",
    (name) => {
      const dir = join(kubeDir, "overlays", name);
      const kustomization = readKustomization(dir);
      expect(kustomization.patchesStrategicMerge ?? []).toEqual([]);
      expect(kustomization.resources ?? []).toEqual([]);
      const patches = kustomization.patchesJson6902 ?? [];
      expect(patches.map((p) => p.target)).toEqual([
        { group: "policy", version: "v1", kind: "PodDisruptionBudget", name: "update-manager", namespace: "update-manager" },
        deploymentTarget,
      ]);
      expect(readYamlFile(join(dir, patches[0]!.path))[0]).toEqual([
        { op: "replace", path: "/apiVersion", value: "policy/v1beta1" },
      ]);
      expect(readYamlFile(join(dir, patches[1]!.path))[0]).toEqual(httpReadiness);
    },
  );
});

describe("kube/overlays/tls", () => {
  const dir = join(kubeDir, "overlays", "tls");
  const kustomization = readKustomization(dir);
  const patch = readYamlFile(join(dir, "deployment-tls.yaml"))[0] as V1Deployment;
  const tlsContainer = patch.spec!.template.spec!.containers[0]!;

  it("serves the API over TLS from the Secret update-manager-tls, mounted read-only", () => {
    expect(kustomization.bases).toEqual(["../../base"]);
    const env = Object.fromEntries((tlsContainer.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toEqual({
      UPDATE_MANAGER_TLS_CERT_FILE: "/etc/update-manager/tls/tls.crt",
      UPDATE_MANAGER_TLS_KEY_FILE: "/etc/update-manager/tls/tls.key",
    });
    expect(tlsContainer.volumeMounts).toEqual([{ name: "tls", mountPath: "/etc/update-manager/tls", readOnly: true }]);
    expect(patch.spec!.template.spec!.volumes?.[0]?.secret?.secretName).toBe("update-manager-tls");
  });

  it("probes readiness over HTTP on the admin port, since the kubelet's gRPC probe speaks no TLS", () => {
    const patches = kustomization.patchesJson6902 ?? [];
    expect(patches.map((p) => p.target)).toEqual([deploymentTarget]);
    expect(readYamlFile(join(dir, patches[0]!.path))[0]).toEqual(httpReadiness);
  });
});
