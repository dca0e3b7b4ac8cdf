/** What a redacted value is replaced with. */
export const redactedValue = "[redacted]";

/**
 * Names that contain "key" or "token" but hold no secret, kept readable because they are what one searches logs
 * for (an update's idempotency key, a page of a listing).
 */
const notSecret = new Set(["idempotencykey", "idempotency_key", "keyprefix", "key_prefix", "pagetoken", "page_token", "nextpagetoken", "next_page_token"]);

/** Whether a field of this name holds a credential: `authorization`, `cookie`, and anything named like a key or token. */
export function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  if (notSecret.has(lower)) return false;
  return (
    lower.includes("key") ||
    lower.includes("token") ||
    lower.includes("secret") ||
    lower.includes("password") ||
    lower === "authorization" ||
    lower === "proxy-authorization" ||
    lower === "cookie"
  );
}

const maxDepth = 6;

/**
 * Returns the value with every secret-named field of plain objects (at any depth up to a few levels) replaced
 * by `[redacted]`. Copies only what it changes; leaves class instances (errors, Headers, Dates) alone.
 */
export function redactSecrets<T>(value: T, depth = 0): T {
  if (depth > maxDepth || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const redacted = redactSecrets(item, depth + 1);
      if (redacted !== item) {
        copy ??= [...value];
        copy[index] = redacted;
      }
    });
    return (copy ?? value) as T;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [name, field] of Object.entries(value)) {
    const redacted =
      isSecretName(name) && field !== undefined && field !== null && field !== "" ? redactedValue : redactSecrets(field, depth + 1);
    if (redacted !== field) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[name] = redacted;
    }
  }
  return (copy ?? value) as T;
}
