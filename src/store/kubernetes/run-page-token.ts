import { decodePageToken, encodePageToken, isPagePosition, malformedPageToken } from "../../core/domain/page-token.js";

/** Where a page of runs ended: runs are ordered by creation time, then id (newest first). */
export interface RunPosition {
  /** createTime in epoch milliseconds. */
  readonly time: number;
  readonly id: string;
}

/**
 * Page tokens of the UpdateRun store: the last run's (creation time, id) as an "r1" page token. Keyset paging on
 * (creation time, id) rather than an offset, so runs created or pruned while a client pages through do not shift
 * later pages, and any replica can continue a token another one issued.
 */
export function encodeRunPageToken(position: RunPosition): string {
  return encodePageToken("r1", [position.time, position.id]);
}

/** The position a token continues after; throws invalid-argument (field `page_token`) when malformed. */
export function decodeRunPageToken(token: string): RunPosition {
  const [time, id, ...rest] = decodePageToken(token, "r1");
  if (!isPagePosition(time) || typeof id !== "string" || id === "" || rest.length > 0) throw malformedPageToken();
  return { time, id };
}
