/** Bearer tokens of registries' token servers, by registry, scope and credentials. */
export interface TokenCache {
  /** The token, unless it expired (an expired one is dropped). */
  get(key: string): string | undefined;
  set(key: string, token: string, expiresAtMs: number): void;
  delete(key: string): void;
  /** Tokens held (for tests and metrics). */
  size(): number;
}

export interface TokenCacheOptions {
  readonly now: () => number;
  /** Tokens held at most; past it the oldest goes. Default: 1000. */
  readonly maxEntries?: number;
}

/**
 * A bounded token cache: expired tokens are evicted whenever a token is stored (not only when their own key is
 * asked for again: one repository checked once would otherwise keep its token forever), and past `maxEntries`
 * the oldest token goes (it is fetched again when needed).
 */
export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const maxEntries = options.maxEntries ?? 1000;
  // Insertion order: the first entry is the oldest.
  const tokens = new Map<string, { readonly token: string; readonly expiresAtMs: number }>();

  function evictExpired(now: number): void {
    for (const [key, entry] of tokens) if (entry.expiresAtMs <= now) tokens.delete(key);
  }

  return {
    get(key) {
      const entry = tokens.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAtMs > options.now()) return entry.token;
      tokens.delete(key);
      return undefined;
    },
    set(key, token, expiresAtMs) {
      evictExpired(options.now());
      tokens.delete(key);
      tokens.set(key, { token, expiresAtMs });
      while (tokens.size > maxEntries) tokens.delete(tokens.keys().next().value as string);
    },
    delete(key) {
      tokens.delete(key);
    },
    size: () => tokens.size,
  };
}
