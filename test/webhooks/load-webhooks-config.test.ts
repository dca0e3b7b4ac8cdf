import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { loadWebhooksConfig } from "../../src/webhooks/load-webhooks-config.js";

const files: Record<string, string> = {
  "/secrets/registry": "Bearer abc\n",
  "/secrets/empty": "  \n",
};
const readText = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
  return text;
};
const load = (document: string) => {
  files["/etc/webhooks.yaml"] = document;
  return loadWebhooksConfig({ UPDATE_MANAGER_WEBHOOKS_FILE: "/etc/webhooks.yaml" }, readText);
};
const problemsOf = (document: string): readonly string[] => {
  try {
    load(document);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
};

describe("the webhooks file (UPDATE_MANAGER_WEBHOOKS_FILE)", () => {
  it("is optional, and reads endpoints with their defaults", () => {
    expect(loadWebhooksConfig({}, readText)).toBeUndefined();
    const config = load(`
endpoints:
  - name: in-cluster
    type: distribution
    secretFile: /secrets/registry
    registry: Registry.Internal:5000
`);
    expect(config).toEqual({
      source: "UPDATE_MANAGER_WEBHOOKS_FILE (/etc/webhooks.yaml)",
      endpoints: [{ name: "in-cluster", type: "distribution", secretFile: "/secrets/registry", registry: "registry.internal:5000" }],
      rateLimitPerMinute: 60,
      maxBodyBytes: 256 * 1024,
    });
  });

  it("lists every problem, naming the file and the endpoint, never quoting a secret", () => {
    const problems = problemsOf(`
rateLimitPerMinute: 0
endpoints:
  - name: Bad_Name
    type: github
    secretFile: /secrets/registry
  - name: hub
    type: quay
    secretFile: /secrets/registry
  - name: gh
    type: github
  - name: empty
    type: harbor
    secretFile: /secrets/empty
  - name: gone
    type: dockerhub
    secretFile: /secrets/missing
  - name: gone
    type: dockerhub
    secretFile: /secrets/registry
    registry: "not a host"
    extra: 1
`);
    const source = "UPDATE_MANAGER_WEBHOOKS_FILE (/etc/webhooks.yaml)";
    expect(problems).toEqual([
      `${source}: rateLimitPerMinute must be a positive integer`,
      `${source}: endpoints[0].name must be lower-case letters, digits and "-" (at most 63): it is the URL path /webhooks/<name>`,
      `${source}: endpoint "hub": type must be distribution, harbor, github, dockerhub`,
      `${source}: endpoint "gh": secretFile is required (a webhook without a secret would let anyone trigger registry checks)`,
      `${source}: endpoint "empty": secretFile: /secrets/empty is empty`,
      `${source}: endpoint "gone": secretFile: cannot read /secrets/missing: ENOENT`,
      `${source}: endpoints[5]: unknown field "extra" (known: name, type, secretFile, registry)`,
      `${source}: endpoint "gone": the name is used twice`,
      `${source}: endpoint "gone": registry must be a host[:port] such as "registry.internal:5000"`,
    ]);
    expect(problems.join("\n")).not.toContain("Bearer abc");
  });

  it("refuses a file that cannot be read or parsed", () => {
    expect(() => loadWebhooksConfig({ UPDATE_MANAGER_WEBHOOKS_FILE: "/nope" }, readText)).toThrow(/\/nope\): cannot read it: ENOENT/);
    expect(problemsOf("endpoints: [")).toEqual([expect.stringMatching(/is not valid YAML or JSON/)]);
    expect(problemsOf("endpoints: []")).toEqual(["UPDATE_MANAGER_WEBHOOKS_FILE (/etc/webhooks.yaml): endpoints must be a non-empty list"]);
  });
});
