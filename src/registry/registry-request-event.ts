/** What a request was for; a benchmark counts requests per kind. */
export type RegistryRequestKind = "head-manifest" | "get-manifest" | "list-tags" | "token";

/** Reported after every HTTP request the client makes (retries and auth round trips included). */
export interface RegistryRequestEvent {
  readonly kind: RegistryRequestKind;
  readonly registry: string;
  readonly method: "GET" | "HEAD";
  /** HTTP status; 0 when the request failed without a response (network error, timeout). */
  readonly status: number;
  readonly durationMs: number;
}

export interface RequestCounter {
  /** Pass as the client's `onRequest` option. */
  readonly onRequest: (event: RegistryRequestEvent) => void;
  /** Requests per kind since creation or the last reset (kinds never seen are 0). */
  counts(): Record<RegistryRequestKind, number>;
  total(): number;
  /** Requests answered 429. */
  rateLimited(): number;
  reset(): void;
}

/** Counts requests by kind: `createRegistryClient({ onRequest: counter.onRequest })`. */
export function createRequestCounter(): RequestCounter {
  const zero = (): Record<RegistryRequestKind, number> => ({
    "head-manifest": 0,
    "get-manifest": 0,
    "list-tags": 0,
    token: 0,
  });
  let counts = zero();
  let limited = 0;
  return {
    onRequest(event) {
      counts[event.kind]++;
      if (event.status === 429) limited++;
    },
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
    rateLimited: () => limited,
    reset() {
      counts = zero();
      limited = 0;
    },
  };
}
