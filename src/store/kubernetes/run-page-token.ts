import { invalidArgument } from "../../core/domain/domain-error.js";

/** Where a page of runs ended: runs are ordered by creation time, then id (newest first). */
export interface RunPosition {
  /** createTime in epoch milliseconds. */
  readonly time: number;
  readonly id: string;
}

/**
 * Opaque page tokens of the UpdateRun store: base64url of `r1:<time>:<id>`. Keyset paging on
 * (creation time, id) rather than an offset, so runs created or pruned while a client pages through
 * do not shift later pages, and any replica can continue a token another one issued.
 */
export function encodeRunPageToken(position: RunPosition): string {
  return Buffer.from(`r1:${position.time}:${position.id}`, "utf8").toString("base64url");
}

/** The position a token continues after; throws invalid-argument (field `page_token`) when malformed. */
export function decodeRunPageToken(token: string): RunPosition {
  const malformed = () => invalidArgument("page_token", "page_token is malformed; pass a next_page_token unchanged");
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw malformed();
  const match = /^r1:(0|[1-9][0-9]{0,15}):(.+)$/s.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match) throw malformed();
  return { time: Number(match[1]), id: match[2] as string };
}
