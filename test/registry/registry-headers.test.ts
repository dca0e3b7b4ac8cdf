import { describe, expect, it } from "vitest";
import { nextLink } from "../../src/registry/link-header.js";
import { parseRateLimitQuota, parseRetryAfter } from "../../src/registry/rate-limit-headers.js";
import { parseWwwAuthenticate } from "../../src/registry/www-authenticate.js";

describe("parseWwwAuthenticate", () => {
  it("reads Docker Hub's bearer challenge", () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      ),
    ).toEqual({
      scheme: "bearer",
      realm: "https://auth.docker.io/token",
      service: "registry.docker.io",
      scope: "repository:library/nginx:pull",
    });
  });

  it("reads basic, unquoted and escaped parameters", () => {
    expect(parseWwwAuthenticate('Basic realm="my \\"registry\\""')).toEqual({ scheme: "basic", realm: 'my "registry"' });
    expect(parseWwwAuthenticate("bearer realm=https://t/token, service=r")).toMatchObject({ realm: "https://t/token", service: "r" });
  });

  it("ignores other schemes and bearer challenges without realm", () => {
    expect(parseWwwAuthenticate("Negotiate abc")).toBeUndefined();
    expect(parseWwwAuthenticate('Bearer service="x"')).toBeUndefined();
    expect(parseWwwAuthenticate(null)).toBeUndefined();
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("7", now)).toBe(7_000);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 23:00:00 GMT", now)).toBe(0);
  });
  it("ignores what it cannot read", () => {
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-1", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("parseRateLimitQuota", () => {
  it("reads Docker Hub's budget headers", () => {
    expect(parseRateLimitQuota("76;w=21600")).toEqual({ remaining: 76, windowMs: 21_600_000 });
    expect(parseRateLimitQuota("5")).toEqual({ remaining: 5, windowMs: undefined });
    expect(parseRateLimitQuota("lots")).toBeUndefined();
  });
});

describe("nextLink", () => {
  const request = "https://r.example/v2/team/web/tags/list?n=2";
  it("resolves a relative next link", () => {
    expect(nextLink('</v2/team/web/tags/list?n=2&last=b>; rel="next"', request)?.href).toBe(
      "https://r.example/v2/team/web/tags/list?n=2&last=b",
    );
  });
  it("finds next among several links and ignores others", () => {
    expect(nextLink('<https://x/prev>; rel="prev", <https://r.example/next>; rel=next', request)?.href).toBe(
      "https://r.example/next",
    );
    expect(nextLink('<https://x/prev>; rel="prev"', request)).toBeUndefined();
    expect(nextLink(null, request)).toBeUndefined();
  });
});
