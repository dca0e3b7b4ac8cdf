import { describe, expect, it } from "vitest";
import type { NodeUpgradePlanSpec } from "../../../../src/core/domain/node-plan/node-upgrade-plan.js";
import { parseNodePlan } from "../../../../src/core/domain/node-plan/parse-node-plan.js";
import { buildUpgradeJob, imageWithLatestTag, type UpgradeContainer } from "../../../../src/core/domain/node-plan/upgrade-job.js";
import { k3osExample } from "../../../support/node-plan-examples.js";

const hash = "dc03b4ae21e9eff9674bb9adb8ab84ee001682bf5cd7ed895ac09337";

function spec(raw: unknown, name = "k3os-latest"): NodeUpgradePlanSpec {
  const parsed = parseNodePlan(name, raw);
  if (!parsed.valid) throw new Error(parsed.message);
  return parsed.spec;
}

function job(raw: unknown = k3osExample().spec, version = "v0.9.0-dev") {
  return buildUpgradeJob({
    planName: "k3os-latest",
    namespace: "system-upgrade",
    spec: spec(raw),
    nodeName: "node-1",
    latestVersion: version,
    latestHash: hash,
    keyPrefix: "update-manager.io",
  });
}

function envOf(container: UpgradeContainer): Record<string, unknown> {
  return Object.fromEntries(container.env.map((entry) => [entry["name"], entry["value"] ?? entry["valueFrom"]]));
}

describe("buildUpgradeJob (the seed's Job contract)", () => {
  it("names the Job as the seed does and labels it with plan, node and hash", () => {
    const manifest = job();
    expect(manifest.metadata.name).toBe("apply-k3os-latest-on-node-1-with-dc03b4ae21e9eff9674bb9ad-59f3a");
    expect(manifest.metadata.namespace).toBe("system-upgrade");
    expect(manifest.metadata.labels).toEqual({
      "update-manager.io/node-plan": "k3os-latest",
      "update-manager.io/node": "node-1",
      "plan.update-manager.io/k3os-latest": hash,
    });
    expect(manifest.spec.template.metadata.labels).toEqual(manifest.metadata.labels);
  });

  it("pins the pod to the node with host IPC, PID and network, and tolerates the cordon", () => {
    const pod = job().spec.template.spec;
    expect(pod).toMatchObject({ nodeName: "node-1", hostIPC: true, hostPID: true, hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet", restartPolicy: "Never" });
    expect(pod.tolerations).toEqual([{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }]);
  });

  it("runs as the plan's serviceAccountName, with its imagePullSecrets and priorityClassName; none of them when unset", () => {
    const pod = job({ ...k3osExample().spec, serviceAccountName: "upgrader", imagePullSecrets: [{ name: "pull" }], priorityClassName: "system-node-critical" }).spec
      .template.spec;
    expect(pod).toMatchObject({ serviceAccountName: "upgrader", imagePullSecrets: [{ name: "pull" }], priorityClassName: "system-node-critical" });
    const plain = job().spec.template.spec;
    expect([plain.serviceAccountName, plain.imagePullSecrets, plain.priorityClassName]).toEqual([undefined, undefined, undefined]);
  });

  it("runs the upgrade privileged with CAP_SYS_BOOT, the host's root at /host, tagged with the resolved version", () => {
    const [upgrade] = job().spec.template.spec.containers;
    expect(upgrade?.name).toBe("upgrade");
    expect(upgrade?.image).toBe("rancher/k3os:v0.9.0-dev");
    expect(upgrade?.command).toEqual(["k3os", "--debug"]);
    expect(upgrade?.securityContext).toEqual({ privileged: true, capabilities: { add: ["CAP_SYS_BOOT"] } });
    expect(upgrade?.volumeMounts).toContainEqual({ name: "host-root", mountPath: "/host" });
    expect(job().spec.template.spec.volumes).toContainEqual({ name: "host-root", hostPath: { path: "/", type: "Directory" } });
  });

  it("gives every container the SYSTEM_UPGRADE_* environment", () => {
    const env = envOf(job().spec.template.spec.containers[0]!);
    expect(env["SYSTEM_UPGRADE_NODE_NAME"]).toEqual({ fieldRef: { fieldPath: "spec.nodeName" } });
    expect(env["SYSTEM_UPGRADE_PLAN_NAME"]).toBe("k3os-latest");
    expect(env["SYSTEM_UPGRADE_PLAN_LATEST_VERSION"]).toBe("v0.9.0-dev");
    expect(env["SYSTEM_UPGRADE_PLAN_LATEST_HASH"]).toBe(hash);
    expect(env["SYSTEM_UPGRADE_POD_NAME"]).toEqual({ fieldRef: { fieldPath: "metadata.name" } });
  });

  it("runs prepare as an init container, not privileged, with the same environment and mounts", () => {
    const pod = job({ version: "v2", prepare: { image: "example/prep:1", args: ["check"] }, upgrade: { image: "example/up" } }, "v2").spec.template.spec;
    expect(pod.initContainers?.map((container) => container.name)).toEqual(["prepare"]);
    const prepare = pod.initContainers![0]!;
    expect(prepare.image).toBe("example/prep:1"); // tagged already: left alone
    expect(prepare.securityContext).toBeUndefined();
    expect(envOf(prepare)["SYSTEM_UPGRADE_PLAN_NAME"]).toBe("k3os-latest");
    expect(prepare.volumeMounts).toContainEqual({ name: "host-root", mountPath: "/host" });
    // No cordon or drain init containers: the manager cordons and drains itself.
    expect(job().spec.template.spec.initContainers).toBeUndefined();
  });

  it("mounts each secret read-only at /run/system-upgrade/secrets/<name> in every container", () => {
    const pod = job({ version: "v1", secrets: [{ name: "creds" }, { name: "tls.certs", path: "/etc/tls" }], prepare: { image: "p" }, upgrade: { image: "u" } }, "v1")
      .spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: "secret-creds", secret: { secretName: "creds" } });
    expect(pod.volumes).toContainEqual({ name: "secret-tls-certs", secret: { secretName: "tls.certs" } });
    for (const container of [...pod.initContainers!, ...pod.containers]) {
      expect(container.volumeMounts).toContainEqual({ name: "secret-creds", mountPath: "/run/system-upgrade/secrets/creds", readOnly: true });
      expect(container.volumeMounts).toContainEqual({ name: "secret-tls-certs", mountPath: "/etc/tls", readOnly: true });
    }
  });

  it("appends the plan's tolerations, host volumes, env and envFrom", () => {
    const pod = job(
      {
        version: "v1",
        tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }],
        upgrade: { image: "u", envs: [{ name: "EXTRA", value: "1" }], envFrom: [{ configMapRef: { name: "cfg" } }], volumes: [{ name: "etc", source: "/etc", destination: "/host-etc" }] },
      },
      "v1",
    ).spec.template.spec;
    expect(pod.tolerations).toHaveLength(2);
    expect(pod.volumes).toContainEqual({ name: "etc", hostPath: { path: "/etc" } });
    const upgrade = pod.containers[0]!;
    expect(envOf(upgrade)["EXTRA"]).toBe("1");
    expect(upgrade.envFrom).toEqual([{ configMapRef: { name: "cfg" } }]);
    expect(upgrade.volumeMounts).toContainEqual({ name: "etc", mountPath: "/host-etc" });
  });

  it("sets activeDeadlineSeconds (600 by default, none with 0), backoffLimit 2 and a TTL of 900 s as the seed", () => {
    expect(job().spec).toMatchObject({ activeDeadlineSeconds: 600, backoffLimit: 2, ttlSecondsAfterFinished: 900 });
    expect(job({ ...k3osExample().spec, jobActiveDeadlineSecs: 120 }).spec.activeDeadlineSeconds).toBe(120);
    expect(job({ ...k3osExample().spec, jobActiveDeadlineSecs: 0 }).spec.activeDeadlineSeconds).toBeUndefined();
  });
});

describe("imageWithLatestTag", () => {
  it.each([
    ["rancher/k3os", "v0.9.0", "rancher/k3os:v0.9.0"],
    ["rancher/k3os", "v1.28.2+k3s1", "rancher/k3os:v1.28.2-k3s1"],
    ["registry:5000/team/os", "v2", "registry:5000/team/os:v2"],
    ["rancher/k3os:v0.8.0", "v0.9.0", "rancher/k3os:v0.8.0"],
    [`rancher/k3os@sha256:${"a".repeat(64)}`, "v0.9.0", `rancher/k3os@sha256:${"a".repeat(64)}`],
  ])("%s with %s is %s", (image, version, expected) => {
    expect(imageWithLatestTag(image, version)).toBe(expected);
  });
});
