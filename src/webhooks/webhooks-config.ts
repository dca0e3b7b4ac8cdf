/** Which sender an endpoint accepts, which decides how it is authenticated and how its payload is read. */
export type WebhookSourceType = "distribution" | "harbor" | "github" | "dockerhub";

/** One endpoint, `/webhooks/<name>` (Docker Hub: `/webhooks/<name>/<token>`). */
export interface WebhookEndpointConfig {
  readonly name: string;
  readonly type: WebhookSourceType;
  /**
   * The secret's file (a mounted Secret's key), re-read when it changes: distribution and Harbor, the whole
   * Authorization header value they are configured to send; GitHub, the HMAC-SHA256 key; Docker Hub, the path token.
   */
  readonly secretFile: string;
  /**
   * The registry host as the workloads' images name it ("registry.internal:5000"), when the payload's differs or
   * has none. Default: from the payload (distribution: the push's Host; Harbor: its resource URL; GitHub: the
   * package's registry host, else ghcr.io; Docker Hub: docker.io).
   */
  readonly registry?: string;
}

/** The webhooks file (UPDATE_MANAGER_WEBHOOKS_FILE), checked. */
export interface WebhooksConfig {
  /** Where it was read from, for logs. */
  readonly source: string;
  readonly endpoints: readonly WebhookEndpointConfig[];
  /** Requests a minute per endpoint, answered or not (also the burst). Default: 60. */
  readonly rateLimitPerMinute: number;
  /** The largest body read, counted as it arrives; 413 beyond. Default: 256 KiB. */
  readonly maxBodyBytes: number;
}

export const defaultWebhookRateLimitPerMinute = 60;
export const defaultWebhookMaxBodyBytes = 256 * 1024;
