import { describe, expect, it } from "vitest";
import { createKeyStore, type KeyStorage } from "../../../src/dashboard/browser/key-store.js";

function memoryStorage(): KeyStorage & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    getItem: (key) => entries.get(key) ?? null,
    setItem: (key, value) => void entries.set(key, value),
    removeItem: (key) => void entries.delete(key),
  };
}

describe("the API key store", () => {
  it("keeps a trimmed key and forgets it", () => {
    const storage = memoryStorage();
    const keys = createKeyStore(storage);
    expect(keys.get()).toBeUndefined();
    keys.set("  um_0123456789abcdef \n");
    expect(keys.get()).toBe("um_0123456789abcdef");
    expect([...storage.entries.values()]).toEqual(["um_0123456789abcdef"]);
    keys.forget();
    expect(keys.get()).toBeUndefined();
    expect(storage.entries.size).toBe(0);
  });

  it("treats an empty entry as no key rather than sending an empty credential", () => {
    const storage = memoryStorage();
    const keys = createKeyStore(storage);
    keys.set("um_key");
    keys.set("   ");
    expect(keys.get()).toBeUndefined();
    expect(storage.entries.size).toBe(0);
  });
});
