import { DomainError } from "./domain-error.js";

/**
 * How many quarantine records a store holds, in memory and in the ConfigMap alike (1,000 records stay well under
 * a ConfigMap's 1 MiB). Past it a new record is refused, never an old one dropped: a dropped record would let a
 * known-bad image through without a word.
 */
export const defaultMaxQuarantineRecords = 1000;

/** The answer to a quarantine record past the bound: RESOURCE_EXHAUSTED, reason QUARANTINE_FULL. */
export function quarantineFull(limit: number): DomainError {
  return new DomainError(
    "resource-exhausted",
    "QUARANTINE_FULL",
    `the quarantine holds its maximum of ${limit} records; clear the records that are no longer needed (ClearQuarantine) so new failures can be recorded`,
    { metadata: { limit: String(limit) } },
  );
}
