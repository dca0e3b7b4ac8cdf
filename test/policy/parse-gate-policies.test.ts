import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { loadPolicyConfig } from "../../src/policy/load-policy-config.js";

const load = (text: string) => loadPolicyConfig({ UPDATE_MANAGER_POLICIES_FILE: "/etc/um/policies.yaml" }, () => text);

function problems(text: string): string {
  try {
    load(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join("\n");
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("windows and alert gates in the policies file", () => {
  it("reads windows and alert gates with their defaults", () => {
    const config = load(`
windows:
  - name: office-hours
    classifiers: [shop]
    days: [mon, tue, wed, thu, fri]
    startTime: "09:00"
    endTime: "17:00"
    timeZone: Europe/Berlin
  - name: nights
    plans: [kernel]
    startTime: 10pm
    endTime: "06:00"
    outside: refuse
alertGates:
  prometheus:
    url: http://prometheus.monitoring:9090/
  policies:
    - name: no-pages
      namespaces: [shop-prod]
      query: 'ALERTS{alertstate="firing",severity="page"}'
    - name: strict
      query: up == 0
      whenFiring: fail
      onQueryError: open
      recheckInterval: 5s
`);
    expect(config.windows).toEqual([
      {
        name: "office-hours",
        classifiers: ["shop"],
        window: { days: [1, 2, 3, 4, 5], startSecond: 9 * 3600, endSecond: 17 * 3600, timeZone: "Europe/Berlin" },
        outside: "wait",
      },
      {
        name: "nights",
        plans: ["kernel"],
        window: { days: [0, 1, 2, 3, 4, 5, 6], startSecond: 22 * 3600, endSecond: 6 * 3600, timeZone: "UTC" },
        outside: "refuse",
      },
    ]);
    expect(config.alertGates).toEqual({
      prometheus: { url: "http://prometheus.monitoring:9090", timeoutMs: 5000 },
      policies: [
        {
          name: "no-pages",
          namespaces: ["shop-prod"],
          query: 'ALERTS{alertstate="firing",severity="page"}',
          whenFiring: "wait",
          onQueryError: "closed",
          recheckMs: 30_000,
        },
        { name: "strict", query: "up == 0", whenFiring: "refuse", onQueryError: "open", recheckMs: 5000 },
      ],
    });
  });

  it("refuses an unknown time zone and a malformed window, naming them", () => {
    const found = problems(`
windows:
  - name: mars
    startTime: "09:00"
    endTime: "17:00"
    timeZone: Mars/Olympus_Mons
  - name: never
    startTime: "09:00"
    endTime: "09:00"
  - name: typo
    days: [funday]
    startTime: "25:00"
    endTime: "17:00"
  - name: half
    startTime: "09:00"
    outside: sometimes
`);
    expect(found).toMatch(/UPDATE_MANAGER_POLICIES_FILE \(\/etc\/um\/policies.yaml\) windows\[0\]\.timeZone: "Mars\/Olympus_Mons" is not a known IANA time zone/);
    expect(found).toMatch(/windows\[1\]: startTime equals endTime: the window would never open/);
    expect(found).toMatch(/windows\[2\]\.(days: "funday" is not a day|startTime: "25:00")/);
    expect(found).toMatch(/windows\[3\]: "startTime" and "endTime" are required/);
    expect(found).toMatch(/windows\[3\] outside must be "wait" or "refuse"/);
  });

  it("refuses alert gates without a Prometheus or a query, and bad settings", () => {
    const found = problems(`
alertGates:
  policies:
    - name: a
    - name: b
      query: up
      whenFiring: panic
      onQueryError: maybe
      recheckInterval: never
`);
    expect(found).toMatch(/alertGates\.policies\[0\]: "query" is required/);
    expect(found).toMatch(/alertGates\.policies\[1\] whenFiring must be "wait" or "fail"/);
    expect(found).toMatch(/onQueryError must be "closed" \(counts as firing\) or "open"/);
    expect(found).toMatch(/recheckInterval must be a duration/);
    expect(problems("alertGates:\n  prometheus:\n    url: ftp://x\n")).toMatch(/alertGates.prometheus.url must be an http\(s\) URL/);
    expect(problems("alertGates:\n  policies:\n    - name: a\n      query: up\n")).toMatch(/alertGates.prometheus.url is required/);
  });
});
