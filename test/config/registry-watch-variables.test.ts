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

describe("registry watching variables", () => {
  it("watches registries every 5 minutes by default, over https only", () => {
    expect(load({}).registryWatch).toEqual({ enabled: true, defaultScheduleMs: 300_000, insecureRegistries: [] });
  });

  it("reads the switch, the interval and the plain-http registries", () => {
    const config = load({
      UPDATE_MANAGER_WATCH_REGISTRIES: "false",
      UPDATE_MANAGER_WATCH_INTERVAL: "1h",
      UPDATE_MANAGER_INSECURE_REGISTRIES: "registry.local:5000, [::1]:5001 ,",
    });
    expect(config.registryWatch).toEqual({
      enabled: false,
      defaultScheduleMs: 3_600_000,
      insecureRegistries: ["registry.local:5000", "[::1]:5001"],
    });
  });

  it("refuses an interval outside the schedule annotation's bounds and a registry that is not host[:port]", () => {
    expect(problemsOf({ UPDATE_MANAGER_WATCH_INTERVAL: "10s" })).toEqual([
      "UPDATE_MANAGER_WATCH_INTERVAL must be between 30s and 24h (the bounds of the schedule annotation)",
    ]);
    expect(problemsOf({ UPDATE_MANAGER_INSECURE_REGISTRIES: "http://registry.local" })).toEqual([
      'UPDATE_MANAGER_INSECURE_REGISTRIES: "http://registry.local" is not a host[:port]',
    ]);
    expect(problemsOf({ UPDATE_MANAGER_WATCH_REGISTRIES: "maybe" })[0]).toContain("is not a boolean");
  });
});
