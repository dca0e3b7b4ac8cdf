/** The part of the Web Storage API the key store uses (sessionStorage in the page, a map in tests). */
export interface KeyStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const storageKey = "update-manager.dashboard.api-key";

/**
 * Keeps the API key for this browser tab only: sessionStorage is per tab and cleared when the tab closes, the
 * key never goes into a URL (URLs end up in history, logs and Referer headers), and it is sent only as the
 * `Authorization` header to this origin.
 */
export interface KeyStore {
  get(): string | undefined;
  /** Stores a trimmed key; an empty one forgets it. */
  set(key: string): void;
  forget(): void;
}

export function createKeyStore(storage: KeyStorage): KeyStore {
  return {
    get() {
      const key = storage.getItem(storageKey);
      return key === null || key === "" ? undefined : key;
    },
    set(key) {
      const trimmed = key.trim();
      if (trimmed === "") storage.removeItem(storageKey);
      else storage.setItem(storageKey, trimmed);
    },
    forget() {
      storage.removeItem(storageKey);
    },
  };
}
