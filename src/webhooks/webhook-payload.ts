/** What a payload reader is told besides the body. */
export interface PayloadContext {
  /** The endpoint's `registry`, which replaces the payload's host. Default: the payload's. */
  readonly registry?: string;
  /** GitHub's `X-GitHub-Event` header. */
  readonly event?: string;
}

/**
 * Reads a parsed JSON body into the repositories it says changed, as full image names without tag
 * ("registry:5000/team/web"); events that change nothing a watcher reads (pulls, deletions, pings) give none.
 * Only names are taken: tags and digests in a payload are never used.
 * @throws WebhookPayloadError when the body is not the sender's shape.
 */
export type ReadWebhookPayload = (body: unknown, context: PayloadContext) => string[];

/** The body is not what the sender sends (answered 400). The message never quotes the body. */
export class WebhookPayloadError extends Error {
  override readonly name = "WebhookPayloadError";
}

export function record(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new WebhookPayloadError(`${what} must be an object`);
  return value as Record<string, unknown>;
}

export function text(value: unknown, what: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new WebhookPayloadError(`${what} must be a non-empty string`);
  return value.trim();
}
