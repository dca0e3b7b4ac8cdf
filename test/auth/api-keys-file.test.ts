import { describe, expect, it } from "vitest";
import { hashApiKeyHex } from "../../src/auth/api-key-hash.js";
import { createApiKeyVerifier } from "../../src/auth/api-key-verifier.js";
import { parseApiKeys } from "../../src/auth/api-keys-file.js";

const key = "um_9c2f4b7e1d8a6053f4e2b1c0d9e8f7a6";

function keys(text: string) {
  const parsed = parseApiKeys(text, "keys.yaml");
  if ("problems" in parsed) throw new Error(parsed.problems.join("\n"));
  return parsed.keys;
}

function problems(text: string): string[] {
  const parsed = parseApiKeys(text, "keys.yaml");
  return "problems" in parsed ? parsed.problems : [];
}

const entry = (fields: string) => `keys:\n  - ${fields.trim().split("\n").join("\n    ")}\n`;

describe("the keys file", () => {
  it("reads YAML and JSON, keeping only the SHA-256 of each key with its scope", () => {
    const yaml = keys(
      entry(`
name: shop-ci
sha256: ${hashApiKeyHex(key)}
rpcs: [Update, read]
classifiers: [shop]
namespaces: [shop, shop-canary]
repositories: [registry.example.com/shop/web, "myorg/*", nginx]`),
    );
    const json = keys(
      JSON.stringify({
        keys: [
          { name: "shop-ci", sha256: hashApiKeyHex(key).toUpperCase(), rpcs: ["Update", "read"], classifiers: ["shop"], namespaces: ["shop", "shop-canary"], repositories: ["registry.example.com/shop/web", "myorg/*", "nginx"] },
        ],
      }),
    );
    for (const [parsed] of [yaml, json]) {
      expect(parsed!.name).toBe("shop-ci");
      expect(parsed!.sha256.toString("hex")).toBe(hashApiKeyHex(key));
      expect([...parsed!.grant.rpcs].sort()).toEqual([
        "GetFreeze", // a read RPC too.
        "GetNodePlan", // the node plan RPCs are reads (refused at call time to a scoped grant like this one).
        "GetUpdate",
        "ListAvailableUpdates", // a read RPC, in the "read" group.
        "ListNodePlans",
        "ListQuarantines",
        "ListTargets",
        "ListUpdates",
        "PreviewNodePlan",
        "Update",
        "WatchNodePlan",
        "WatchUpdate",
      ]);
      expect(parsed!.grant.scope).toEqual({
        classifiers: ["shop"],
        namespaces: ["shop", "shop-canary"],
        repositories: [
          { repository: "registry.example.com/shop/web", prefix: false },
          { repository: "docker.io/myorg", prefix: true },
          { repository: "docker.io/library/nginx", prefix: false },
        ],
      });
      expect(JSON.stringify(parsed)).not.toContain(key);
    }
    // "*" grants a dimension whole.
    const [any] = keys(entry(`name: ops\nsha256: ${hashApiKeyHex(key)}\nrpcs: ["*"]\nclassifiers: "*"\nnamespaces: "*"\nrepositories: "*"`));
    expect(any!.grant.scope).toEqual({});
  });

  it("reads a hash of only digits as text, not as a number", () => {
    const digits = "1".repeat(32) + "0".repeat(32);
    const [parsed] = keys(entry(`name: digits\nsha256: ${digits}\nrpcs: [read]\nclassifiers: "*"\nnamespaces: "*"\nrepositories: "*"`));
    expect(parsed!.sha256.toString("hex")).toBe(digits);
  });

  it("matches exactly: not a prefix, not an extension, not another key", () => {
    const verify = createApiKeyVerifier(
      keys(entry(`name: shop-ci\nsha256: ${hashApiKeyHex(key)}\nrpcs: ["*"]\nclassifiers: "*"\nnamespaces: "*"\nrepositories: "*"`)),
    );
    expect(verify(key)?.name).toBe("shop-ci");
    for (const other of [key.slice(0, -1), `${key}a`, ` ${key}`, "", hashApiKeyHex(key)]) expect(verify(other)).toBeUndefined();
  });

  it("refuses plain keys, missing scopes, unknown fields and duplicates, listing every problem", () => {
    const found = problems(`
keys:
  - name: plain
    key: ${key}
    rpcs: ["*"]
    classifiers: "*"
    namespaces: "*"
    repositories: "*"
  - name: lazy
    sha256: ${hashApiKeyHex("a")}
    rpcs: [Update, Deploy]
    classifer: [shop]
  - name: lazy
    sha256: ${hashApiKeyHex("a")}
    rpcs: [read]
    classifiers: []
    namespaces: [Shop]
    repositories: ["registry.example.com/shop/web:1.0", "registry.example.com/*/web"]
  - name: api-key
    sha256: not-hex
    rpcs: [read]
    classifiers: "*"
    namespaces: "*"
    repositories: "*"
`);
    const text = found.join("\n");
    expect(text).toContain('keys.yaml: keys[0] (plain): store the key\'s SHA-256 in "sha256"');
    expect(text).not.toContain(key);
    expect(text).toContain('unknown RPC "Deploy"');
    expect(text).toContain('unknown field "classifer"');
    expect(text).toContain('keys[1] (lazy): "classifiers" is required');
    expect(text).toContain("another key has the same name");
    expect(text).toContain("same key (sha256) as lazy");
    expect(text).toContain('"classifiers" must be a non-empty list');
    expect(text).toContain('"Shop" is not a namespace name');
    expect(text).toContain("names no tag or digest");
    expect(text).toContain('"*" is only allowed');
    expect(text).toContain('the name "api-key" is reserved');
    expect(text).toContain('"sha256" is required');
    expect(text).not.toContain(hashApiKeyHex("a"));
  });

  it("reports a syntax error by position without quoting the file", () => {
    const [problem] = problems(`keys:\n  - name: x\n    sha256: "${hashApiKeyHex(key)}\n`);
    expect(problem).toMatch(/^keys\.yaml is not valid YAML or JSON/);
    expect(problem).not.toContain(hashApiKeyHex(key));
  });
});
