import { type DomainError, invalidArgument } from "./domain-error.js";

/**
 * The one format of every listing's page tokens: base64url of a JSON array whose first element names the listing
 * and the token's version ("v1" in-memory positions, "r1" UpdateRuns, "t1" targets, "a1" available updates), then
 * the position to continue after. Opaque to clients; a token of another listing or version is malformed.
 */
export function encodePageToken(kind: string, position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...position]), "utf8").toString("base64url");
}

/**
 * The position a token of `kind` continues after (the fields `encodePageToken` was given, unchecked: the caller
 * checks their types); throws invalid-argument (field `page_token`) when malformed.
 */
export function decodePageToken(token: string, kind: string): readonly unknown[] {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw malformedPageToken();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw malformedPageToken();
  }
  if (!Array.isArray(decoded) || decoded[0] !== kind) throw malformedPageToken();
  return decoded.slice(1);
}

/** A position that is a count or an offset: a safe, non-negative integer. */
export function isPagePosition(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

export function malformedPageToken(): DomainError {
  return invalidArgument("page_token", "page_token is malformed; pass a next_page_token unchanged");
}
