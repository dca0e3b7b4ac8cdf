import { statusCodeOf } from "../../cluster/kubernetes/kubernetes-errors.js";

/** Attempts after the first when the API server answers 409 Conflict, unless a store is told otherwise. */
export const defaultConflictRetries = 5;

/**
 * Optimistic concurrency against the API server: `attempt` reads the object, decides, and writes with the
 * resourceVersion it read; when the server answers 409 Conflict (someone wrote in between) it runs again on a fresh
 * read, at most `retries` more times. Any other error, and the last conflict, is thrown as it is (the caller
 * translates it into a domain error). `attempt` gets its index (0 first), e.g. to read from a cache first.
 */
export async function retryOnConflict<T>(retries: number, attempt: (index: number) => Promise<T>): Promise<T> {
  for (let index = 0; ; index++) {
    try {
      return await attempt(index);
    } catch (error) {
      if (statusCodeOf(error) !== 409 || index >= retries) throw error;
    }
  }
}
