import { createHash } from "node:crypto";

const maxNameLength = 63;

/**
 * Joins the parts with "-" and keeps the result a valid name of at most 63 characters, as the seed's (wrangler's)
 * `name.SafeConcatName` does, so that Job names stay what the seed would create: shorter than 64 it is returned
 * as it is; longer, it is cut to 57 characters (56 when the 57th is not a lowercase letter or digit) followed by
 * "-" and the start of the SHA-256 of the whole name, 63 characters in all. Unlike the seed, a cut that still ends
 * in "-" or "." loses those characters too, so the name stays a valid DNS subdomain ("x.-1a2b3c" is not).
 */
export function safeConcatName(...parts: readonly string[]): string {
  const full = parts.join("-");
  if (full.length <= maxNameLength) return full;
  const digest = createHash("sha256").update(full).digest("hex");
  const last = full.charAt(56);
  if (/[a-z0-9]/.test(last)) return `${full.slice(0, 57)}-${digest.slice(0, 5)}`;
  return `${full.slice(0, 56).replace(/[^a-z0-9]+$/, "")}-${digest.slice(0, 6)}`;
}
