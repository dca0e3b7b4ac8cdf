/** What a redacted value is replaced with. */
export const redactedValue = "[redacted]";

/**
 * Names that contain "key" or "token" but hold no secret, kept readable because they are what one searches logs
 * for (an update's idempotency key, a page of a listing).
 */
const notSecret = new Set(["idempotencykey", "idempotency_key", "keyprefix", "key_prefix", "pagetoken", "page_token", "nextpagetoken", "next_page_token"]);

/**
 * Whether a field of this name holds a credential: `authorization`, `cookie`, docker-config `auth`, and anything
 * named like a key, token, secret or password.
 */
export function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  if (notSecret.has(lower)) return false;
  return (
    lower.includes("key") ||
    lower.includes("token") ||
    lower.includes("secret") ||
    lower.includes("password") ||
    lower === "auth" ||
    lower === "authorization" ||
    lower === "proxy-authorization" ||
    lower === "cookie" ||
    lower === "set-cookie"
  );
}

const maxDepth = 6;

/**
 * Returns the value with every secret-named field (at any depth up to a few levels) replaced by `[redacted]`, and
 * credentials written inside strings (`Bearer …`, `password=…`, `"authorization":"…"`, `https://user:pass@…`)
 * blanked out. Errors become plain objects (name, message, stack, their own fields, the cause chain) redacted the
 * same way, because their message, stack and fields (a client-node ApiException's body and headers) carry what
 * was sent and received. Copies only what it changes; leaves other class instances (Headers, Dates) alone.
 */
export function redactSecrets<T>(value: T, depth = 0): T {
  if (typeof value === "string") return redactText(value) as T;
  if (depth > maxDepth || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return redactError(value, depth) as T;
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
      copy ??= prototype === null ? Object.assign(Object.create(null), value) : { ...(value as Record<string, unknown>) };
      (copy as Record<string, unknown>)[name] = redacted;
    }
  }
  return (copy ?? value) as T;
}

/**
 * An error as a plain, redacted object that pino's error serializer still recognises (it has a string `message`;
 * with no prototype its `type` is the error's `name`). The cause chain is redacted the same way.
 */
function redactError(error: Error, depth: number): Record<string, unknown> {
  const plain: Record<string, unknown> = Object.create(null);
  plain["name"] = error.name;
  plain["message"] = redactText(error.message);
  if (error.stack !== undefined) plain["stack"] = redactText(error.stack);
  for (const [name, field] of Object.entries(error)) {
    if (name === "message" || name === "stack") continue;
    plain[name] = isSecretName(name) && field !== undefined && field !== null && field !== "" ? redactedValue : redactSecrets(field, depth + 1);
  }
  // `cause` is usually not enumerable (set by the Error constructor).
  if (error.cause !== undefined) plain["cause"] = depth >= maxDepth ? "[cause chain too deep]" : redactSecrets(error.cause, depth + 1);
  if (error instanceof AggregateError) plain["errors"] = redactSecrets(error.errors, depth + 1);
  return plain;
}

/** `Bearer abc`, `Basic abc`: the scheme stays, the credential goes. */
const authSchemePattern = /\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]+/gi;
/** `scheme://user:password@host`. */
const userInfoPattern = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi;
/** A JSON Web Token anywhere (an identity token in a message). */
const jwtPattern = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** `name: value`, `name=value`, `"name":"value"`: the value goes when the name is a secret's. */
const namedValuePattern = /(["']?)([A-Za-z0-9_.-]+)\1(\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s"',;&}\]]+)/g;

/** Blanks out credentials written inside free text (error messages, stacks, response bodies). */
export function redactText(text: string): string {
  if (text === "") return text;
  return text
    .replace(authSchemePattern, (_match, scheme: string, space: string) => `${scheme}${space}${redactedValue}`)
    .replace(userInfoPattern, (_match, scheme: string) => `${scheme}${redactedValue}@`)
    .replace(jwtPattern, redactedValue)
    .replace(namedValuePattern, (match, quote: string, name: string, separator: string, value: string) => {
      // `Authorization: Bearer [redacted]`: the scheme stays readable.
      if (!isSecretName(name) || value === redactedValue || value === `"${redactedValue}"` || /^(bearer|basic)$/i.test(value)) return match;
      const quoted = value.startsWith('"') ? `"${redactedValue}"` : value.startsWith("'") ? `'${redactedValue}'` : redactedValue;
      return `${quote}${name}${quote}${separator}${quoted}`;
    });
}
