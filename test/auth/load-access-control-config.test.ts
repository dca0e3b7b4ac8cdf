import { describe, expect, it } from "vitest";
import { hashApiKeyHex } from "../../src/auth/api-key-hash.js";
import { loadAccessControlConfig } from "../../src/auth/load-access-control-config.js";
import { ConfigError } from "../../src/config/config-error.js";

const keysYaml = `keys:
  - name: dashboard
    sha256: ${hashApiKeyHex("um_dashboard_0123456789abcdef0123")}
    rpcs: [read]
    classifiers: "*"
    namespaces: "*"
    repositories: "*"
`;
const oidcYaml = `issuers:
  - name: gitlab
    issuer: https://gitlab.example.com
    audience: https://update-manager.example.com
    rules:
      - name: shop
        claims: { project_id: 42, ref_protected: true }
        rpcs: [Update, GetUpdate, WatchUpdate]
        classifiers: [shop]
        namespaces: [shop]
        repositories: [registry.example.com/shop/*]
`;

function files(map: Record<string, string>) {
  return (path: string) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file ${path}`), { code: "ENOENT" });
    return text;
  };
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loading the access-control configuration", () => {
  it("has documented defaults when nothing is set", () => {
    expect(loadAccessControlConfig({}, files({}))).toEqual({
      keys: [],
      writeLimit: { perMinute: 10, burst: 5 },
      readLimit: { perMinute: 100, burst: 50 },
      reflection: "open",
    });
  });

  it("reads the keys file (or the same document inline), the OIDC file and the limits", () => {
    const config = loadAccessControlConfig(
      {
        UPDATE_MANAGER_API_KEYS_FILE: "/etc/update-manager/keys/keys.yaml",
        UPDATE_MANAGER_OIDC_CONFIG_FILE: "/etc/update-manager/oidc/oidc.yaml",
        UPDATE_MANAGER_WRITE_RATE_PER_MINUTE: "30",
        UPDATE_MANAGER_WRITE_BURST: "10",
        UPDATE_MANAGER_READ_RATE_PER_MINUTE: "0",
        UPDATE_MANAGER_REFLECTION_ACCESS: "authenticated",
      },
      files({ "/etc/update-manager/keys/keys.yaml": keysYaml, "/etc/update-manager/oidc/oidc.yaml": oidcYaml }),
    );
    expect(config.keys.map((key) => key.name)).toEqual(["dashboard"]);
    expect(config.oidc?.issuers[0]).toMatchObject({ name: "gitlab", rules: [{ name: "shop", claims: { project_id: ["42"], ref_protected: ["true"] } }] });
    expect(config.oidc).toMatchObject({ clockToleranceSeconds: 30, jwksRefreshIntervalSeconds: 60 });
    expect(config).toMatchObject({ writeLimit: { perMinute: 30, burst: 10 }, readLimit: { perMinute: 0, burst: 50 }, reflection: "authenticated" });
    expect(loadAccessControlConfig({ UPDATE_MANAGER_API_KEYS: keysYaml }, files({})).keys).toHaveLength(1);
  });

  it("lists every problem at once, naming the variable and the file", () => {
    const problems = problemsOf(() =>
      loadAccessControlConfig(
        {
          UPDATE_MANAGER_API_KEYS_FILE: "/missing.yaml",
          UPDATE_MANAGER_OIDC_CONFIG_FILE: "/oidc.yaml",
          UPDATE_MANAGER_WRITE_BURST: "0",
          UPDATE_MANAGER_READ_RATE_PER_MINUTE: "fast",
          UPDATE_MANAGER_REFLECTION_ACCESS: "closed",
        },
        files({
          "/oidc.yaml": `issuers:
  - name: GitHub
    issuer: http://token.actions.githubusercontent.com
    rules:
      - name: any
        claims: {}
        rpcs: ["*"]
        classifiers: "*"
        namespaces: "*"
        repositories: "*"
`,
        }),
      ),
    );
    expect(problems).toEqual([
      "UPDATE_MANAGER_API_KEYS_FILE: cannot read /missing.yaml: ENOENT",
      'UPDATE_MANAGER_OIDC_CONFIG_FILE (/oidc.yaml): issuers[0]: "name" is required: up to 31 lowercase letters, digits and "-" (e.g. "github")',
      'UPDATE_MANAGER_OIDC_CONFIG_FILE (/oidc.yaml): issuers[0]: "issuer" is required: the tokens\' iss, an https URL (plain http only on loopback)',
      'UPDATE_MANAGER_OIDC_CONFIG_FILE (/oidc.yaml): issuers[0]: "audience" is required: the aud your pipelines request, e.g. "https://update-manager.example.com"',
      'UPDATE_MANAGER_OIDC_CONFIG_FILE (/oidc.yaml): issuers[0].rules[0] (any): "claims" is required: the conditions a token must meet, e.g. {repository_id: "123456", ref: refs/heads/main}',
      "UPDATE_MANAGER_WRITE_BURST must be a whole number from 1 to 1000000, got \"0\"",
      'UPDATE_MANAGER_READ_RATE_PER_MINUTE must be a whole number from 0 to 1000000, got "fast"',
      'UPDATE_MANAGER_REFLECTION_ACCESS must be "open" or "authenticated"',
    ]);
    expect(problemsOf(() => loadAccessControlConfig({ UPDATE_MANAGER_API_KEYS_FILE: "/a", UPDATE_MANAGER_API_KEYS: keysYaml }, files({})))).toEqual([
      "UPDATE_MANAGER_API_KEYS_FILE and UPDATE_MANAGER_API_KEYS are both set: set one",
    ]);
  });
});
