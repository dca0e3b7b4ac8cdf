import { createHash } from "node:crypto";

/** The server's limit on `idempotency_key`. */
const maxKeyLength = 128;

/**
 * Derives an idempotency key from the CI job that runs the CLI, so that running the same `update` again in the
 * same job attempt (a shell retry loop, a step re-run after the runner lost the answer) attaches to the update the
 * first run started instead of starting another. A new pipeline run, a re-run of a job (a new attempt on GitHub,
 * a new job id on GitLab) or another image or classifier gets a new key, so a deliberate retry really retries.
 *
 * - GitHub Actions: `GITHUB_RUN_ID`, `GITHUB_RUN_ATTEMPT` and `GITHUB_JOB` (matrix legs share `GITHUB_JOB`; they
 *   differ by image or classifier, which the key includes).
 * - GitLab CI: `CI_PIPELINE_ID` and `CI_JOB_ID` (a retried job has a new `CI_JOB_ID`).
 *
 * Returns undefined outside a recognised CI system.
 */
export function deriveIdempotencyKey(
  env: Readonly<Record<string, string | undefined>>,
  request: { readonly image: string; readonly classifier: string },
): string | undefined {
  const job = ciJob(env);
  if (job === undefined) return undefined;
  // Image and classifier go in as a short hash: a job that ships two images gets two keys, and the key stays short.
  const what = createHash("sha256").update(`${request.image}\u0000${request.classifier}`).digest("hex").slice(0, 16);
  const key = `${job}:${what}`;
  if (key.length <= maxKeyLength) return key;
  // Only an absurdly long job name gets here; a hash of the whole key keeps it unique and within the limit.
  return `ci:${createHash("sha256").update(key).digest("hex")}`;
}

function ciJob(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const github = [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT ?? "1", env.GITHUB_JOB];
  if (env.GITHUB_ACTIONS === "true" && nonEmpty(env.GITHUB_RUN_ID)) {
    return `github:${github.map((part) => part ?? "").join(":")}`;
  }
  if (env.GITLAB_CI === "true" && nonEmpty(env.CI_JOB_ID)) {
    return `gitlab:${env.CI_PIPELINE_ID ?? ""}:${env.CI_JOB_ID}`;
  }
  return undefined;
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}
