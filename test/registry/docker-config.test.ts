import { describe, expect, it } from "vitest";
import { findRegistryCredentials, parseDockerConfigJson } from "../../src/registry/docker-config.js";
import { isRegistryError } from "../../src/registry/registry-error.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("parseDockerConfigJson", () => {
  it("reads the auth form and the username/password form", () => {
    const config = parseDockerConfigJson(
      JSON.stringify({
        auths: {
          "registry.example.com:5000": { auth: b64("ci:pa:ss") },
          "ghcr.io": { username: "bot", password: "token" },
        },
      }),
    );
    expect(findRegistryCredentials(config, "registry.example.com:5000")).toEqual({ username: "ci", password: "pa:ss" });
    expect(findRegistryCredentials(config, "ghcr.io")).toEqual({ username: "bot", password: "token" });
    expect(findRegistryCredentials(config, "registry.example.com")).toBeUndefined();
  });

  it("matches Docker Hub under any of its spellings", () => {
    const config = parseDockerConfigJson({ auths: { "https://index.docker.io/v1/": { auth: b64("hub:pw") } } });
    for (const host of ["docker.io", "index.docker.io", "registry-1.docker.io"]) {
      expect(findRegistryCredentials(config, host)).toEqual({ username: "hub", password: "pw" });
    }
  });

  it("drops scheme and path and ignores case in keys", () => {
    const config = parseDockerConfigJson({ auths: { "HTTPS://Registry.Local:5000/v2/": { auth: b64("u:p") } } });
    expect(findRegistryCredentials(config, "registry.local:5000")).toEqual({ username: "u", password: "p" });
  });

  it("skips entries with no usable credentials", () => {
    const config = parseDockerConfigJson({ auths: { "ghcr.io": { identitytoken: "x" } } });
    expect(config.auths.size).toBe(0);
  });

  it.each([
    ["{not json", "is not JSON"],
    ["[]", 'must be a JSON object with an "auths" map'],
    [JSON.stringify({ auths: [] }), '"auths" must be an object'],
    [JSON.stringify({ auths: { "r.io": { auth: b64("nocolon") } } }), 'auths["r.io"].auth must be base64 of "user:password"'],
  ])("refuses %s", (content, message) => {
    let caught: unknown;
    try {
      parseDockerConfigJson(content);
    } catch (error) {
      caught = error;
    }
    expect(isRegistryError(caught, "invalid")).toBe(true);
    expect((caught as Error).message).toContain(message);
    expect((caught as Error).message).not.toContain("nocolon");
  });
});
