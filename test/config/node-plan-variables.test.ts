import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { type ConfigFiles, loadConfig } from "../../src/config/load-config.js";

const noFiles: ConfigFiles = {
  readText: (path) => {
    throw new Error(`ENOENT: ${path}`);
  },
  exists: () => false,
  home: () => "/home/nobody",
};
const base = { UPDATE_MANAGER_CLUSTER: "embedded", HOME: "/home/nobody" };
const load = (env: Record<string, string>) => loadConfig({ ...base, ...env }, [], noFiles);

function problemsOf(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("node upgrade plan variables", () => {
  it("leaves node plans off by default, with the seed's namespace and 15-minute channel interval", () => {
    expect(load({}).nodePlans).toEqual({ enabled: false, namespace: "system-upgrade", channelIntervalMs: 900_000 });
  });

  it("reads the switch, the namespace and the channel interval", () => {
    expect(load({ UPDATE_MANAGER_NODE_PLANS: "true", UPDATE_MANAGER_PLAN_NAMESPACE: "k3os-system", UPDATE_MANAGER_PLAN_CHANNEL_INTERVAL: "1h" }).nodePlans).toEqual({
      enabled: true,
      namespace: "k3os-system",
      channelIntervalMs: 3_600_000,
    });
    expect(load({ UPDATE_MANAGER_NODE_PLANS: "true" }).notices.join("\n")).not.toContain("UPDATE_MANAGER_NODE_PLANS");
  });

  it("refuses a namespace that is no namespace name and a channel interval under a minute", () => {
    expect(problemsOf({ UPDATE_MANAGER_PLAN_NAMESPACE: "Not_A_Namespace" })).toEqual(['UPDATE_MANAGER_PLAN_NAMESPACE="Not_A_Namespace" is not a namespace name']);
    expect(problemsOf({ UPDATE_MANAGER_PLAN_CHANNEL_INTERVAL: "30s" })).toEqual([
      "UPDATE_MANAGER_PLAN_CHANNEL_INTERVAL must be at least 1m: channels are release pages, not APIs to poll",
    ]);
  });
});
