import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { type ConfigFiles, loadConfig } from "../../src/config/load-config.js";

/** A file system with only these files, and no kubeconfig. */
function filesWith(paths: readonly string[]): ConfigFiles {
  return {
    readText: (path) => {
      if (!paths.includes(path)) throw new Error(`ENOENT: ${path}`);
      return "";
    },
    exists: (path) => paths.includes(path),
    home: () => "/home/nobody",
  };
}

const base = { UPDATE_MANAGER_CLUSTER: "embedded", HOME: "/home/nobody" };
const load = (env: Record<string, string>, files: readonly string[] = []) => loadConfig({ ...base, ...env }, [], filesWith(files));

function problemsOf(env: Record<string, string>, files: readonly string[] = []): string[] {
  try {
    load(env, files);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("the original's server variables keep working", () => {
  it("UPDATE_MANAGER_LISTENING_HOST and UPDATE_MANAGER_LISTENING_PORT (the original's port variable)", () => {
    const config = load({ UPDATE_MANAGER_LISTENING_HOST: "127.0.0.1", UPDATE_MANAGER_LISTENING_PORT: "9100" });
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 9100 });
  });

  it("the original's misspelled UPDATE_MANGER_LISTENING_HOST (and _PORT), with a notice to prefer the right name", () => {
    const config = load({ UPDATE_MANGER_LISTENING_HOST: "10.0.0.7", UPDATE_MANGER_LISTENING_PORT: "9200" });
    expect(config.listen).toEqual({ host: "10.0.0.7", port: 9200 });
    expect(config.notices).toContain("using UPDATE_MANGER_LISTENING_HOST, the original's misspelled name; prefer UPDATE_MANAGER_LISTENING_HOST");
    // The correct spelling wins when both are set.
    const both = load({ UPDATE_MANGER_LISTENING_HOST: "10.0.0.7", UPDATE_MANAGER_LISTENING_HOST: "127.0.0.1" });
    expect(both.listen.host).toBe("127.0.0.1");
  });

  it("defaults to the original's 0.0.0.0:9000", () => {
    expect(load({}).listen).toEqual({ host: "0.0.0.0", port: 9000 });
  });

  it("UPDATE_MANAGER_AUTOLOAD_NAMESPACES=false with UPDATE_MANAGER_NAMESPACES (comma-separated) watches only those", () => {
    const config = load({ UPDATE_MANAGER_AUTOLOAD_NAMESPACES: "false", UPDATE_MANAGER_NAMESPACES: "shop,legacy" });
    expect(config.namespaces).toEqual({ all: false, names: ["shop", "legacy"] });
    expect(load({ UPDATE_MANAGER_AUTOLOAD_NAMESPACES: "true" }).namespaces).toEqual({ all: true });
  });

  it("UPDATE_MANAGER_API_KEY is the full-scope key the CLI sends as `APIKey <key>`", () => {
    expect(load({ UPDATE_MANAGER_API_KEY: "a-long-enough-key-123" }).apiKey).toBe("a-long-enough-key-123");
  });

  it("SENTRY_DSN is accepted and ignored with a notice", () => {
    const config = load({ SENTRY_DSN: "https://key@sentry.example.com/1" });
    expect(config.notices.some((notice) => notice.startsWith("SENTRY_DSN is ignored"))).toBe(true);
  });
});

describe("TLS variables", () => {
  it("reads the certificate, key and client CA files", () => {
    const files = ["/tls/tls.crt", "/tls/tls.key", "/tls/ca.crt"];
    const config = load(
      {
        UPDATE_MANAGER_TLS_CERT_FILE: "/tls/tls.crt",
        UPDATE_MANAGER_TLS_KEY_FILE: "/tls/tls.key",
        UPDATE_MANAGER_TLS_CLIENT_CA_FILE: "/tls/ca.crt",
      },
      files,
    );
    expect(config.tls).toEqual({ certFile: "/tls/tls.crt", keyFile: "/tls/tls.key", clientCaFile: "/tls/ca.crt" });
    expect(config.notices.filter((notice) => notice.includes("TLS"))).toEqual([]);
  });

  it("leaves client certificates optional", () => {
    const config = load({ UPDATE_MANAGER_TLS_CERT_FILE: "/tls/tls.crt", UPDATE_MANAGER_TLS_KEY_FILE: "/tls/tls.key" }, [
      "/tls/tls.crt",
      "/tls/tls.key",
    ]);
    expect(config.tls).toEqual({ certFile: "/tls/tls.crt", keyFile: "/tls/tls.key" });
  });

  it("refuses a client CA without TLS, and a client CA file that does not exist", () => {
    expect(problemsOf({ UPDATE_MANAGER_TLS_CLIENT_CA_FILE: "/tls/ca.crt" }, ["/tls/ca.crt"])).toEqual([
      "UPDATE_MANAGER_TLS_CLIENT_CA_FILE needs TLS: set UPDATE_MANAGER_TLS_CERT_FILE and UPDATE_MANAGER_TLS_KEY_FILE too",
    ]);
    expect(
      problemsOf(
        {
          UPDATE_MANAGER_TLS_CERT_FILE: "/tls/tls.crt",
          UPDATE_MANAGER_TLS_KEY_FILE: "/tls/tls.key",
          UPDATE_MANAGER_TLS_CLIENT_CA_FILE: "/tls/missing.crt",
        },
        ["/tls/tls.crt", "/tls/tls.key"],
      ),
    ).toEqual(["UPDATE_MANAGER_TLS_CLIENT_CA_FILE: /tls/missing.crt does not exist"]);
  });
});
