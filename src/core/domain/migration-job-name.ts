import { createHash } from "node:crypto";
import type { WorkloadRef } from "./workload.js";

const maxLabelLength = 63;
const hashLength = 8;

/**
 * The name of the Job copy an update runs for a migration template: `<template>-<hash>`, where the
 * hash covers the update id and the template (kind included: a Job and a suspended CronJob may
 * share a name, and each needs its own copy). Deterministic, so a resumed update finds (and never
 * duplicates) the copy it created; a valid DNS-1123 label of at most 63 characters, because the
 * Job controller copies the name into the `job-name` label of its pods.
 */
export function migrationJobName(updateId: string, template: WorkloadRef): string {
  const hash = createHash("sha256")
    .update(`${updateId}\n${template.kind}\n${template.namespace}\n${template.name}`)
    .digest("hex")
    .slice(0, hashLength);
  const base = template.name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, maxLabelLength - hashLength - 1)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  return base === "" ? `migration-${hash}` : `${base}-${hash}`;
}
