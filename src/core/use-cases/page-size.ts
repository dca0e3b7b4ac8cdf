import { invalidArgument } from "../domain/domain-error.js";

/**
 * The page size a list call uses: unset or 0 means the default (proto3 cannot tell them apart);
 * a negative, fractional or too large size is refused rather than silently changed.
 */
export function resolvePageSize(pageSize: number | undefined, defaultSize: number, maxSize: number): number {
  if (pageSize === undefined || pageSize === 0) return defaultSize;
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    throw invalidArgument("page_size", `page_size must be a positive integer, got ${pageSize}`);
  }
  if (pageSize > maxSize) {
    throw invalidArgument("page_size", `page_size must be at most ${maxSize}, got ${pageSize}`);
  }
  return pageSize;
}
