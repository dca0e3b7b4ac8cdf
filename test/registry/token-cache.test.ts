import { describe, expect, it } from "vitest";
import { createTokenCache } from "../../src/registry/token-cache.js";

describe("the registry token cache", () => {
  it("evicts expired tokens of every key when a token is stored, not only when the same key is asked again", () => {
    let now = 0;
    const cache = createTokenCache({ now: () => now });
    for (let i = 0; i < 50; i++) cache.set(`registry.example|repository:app-${i}:pull|robot`, `t${i}`, 60_000);
    expect(cache.size()).toBe(50);
    now = 60_000;
    expect(cache.get("registry.example|repository:app-0:pull|robot")).toBeUndefined();
    cache.set("registry.example|repository:other:pull|robot", "fresh", 120_000);
    expect(cache.size()).toBe(1);
    expect(cache.get("registry.example|repository:other:pull|robot")).toBe("fresh");
  });

  it("holds at most its bound, dropping the oldest token", () => {
    const cache = createTokenCache({ now: () => 0, maxEntries: 3 });
    for (const key of ["a", "b", "c", "d"]) cache.set(key, `token-${key}`, 60_000);
    expect(cache.size()).toBe(3);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("d")).toBe("token-d");
  });
});
