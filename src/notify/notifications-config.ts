import type { NotificationRoute } from "../core/domain/notification-route.js";
import type { SmtpSecurity } from "./smtp-notifier.js";

/** One channel as configured; credentials are file paths (mounted Secrets), read at each send. */
export type ChannelConfig =
  | {
      readonly type: "webhook";
      readonly name: string;
      readonly url: string;
      /** The HMAC-SHA256 key's file. Default: unsigned. */
      readonly secretFile?: string;
      readonly timeoutMs: number;
      readonly rateLimitPerMinute?: number;
    }
  | { readonly type: "slack"; readonly name: string; readonly urlFile: string; readonly timeoutMs: number; readonly rateLimitPerMinute?: number }
  | {
      readonly type: "smtp";
      readonly name: string;
      readonly host: string;
      readonly port: number;
      readonly security: SmtpSecurity;
      readonly username?: string;
      readonly passwordFile?: string;
      readonly from: string;
      readonly to: readonly string[];
      /** PEM CA file for the server's certificate. Default: the system's CAs. */
      readonly caFile?: string;
      readonly timeoutMs: number;
      readonly rateLimitPerMinute?: number;
    }
  | {
      readonly type: "telegram";
      readonly name: string;
      readonly tokenFile: string;
      readonly chatId: string;
      readonly baseUrl: string;
      readonly timeoutMs: number;
      readonly rateLimitPerMinute?: number;
    };

/** The notifications file (UPDATE_MANAGER_NOTIFICATIONS_FILE), checked. */
export interface NotificationsConfig {
  /** Where it was read from, for logs. */
  readonly source: string;
  readonly channels: readonly ChannelConfig[];
  readonly routes: readonly NotificationRoute[];
  /** Messages per minute per channel unless the channel says otherwise. Default: 20. */
  readonly rateLimitPerMinute: number;
  /** Findings remembered per channel. Default: 10 000. */
  readonly maxFindingsPerChannel: number;
  /** Where sent findings are kept without the Kubernetes store. Default: memory only. */
  readonly stateFile?: string;
  /** Attempts per message. Default: 5. */
  readonly attempts: number;
  /** Wait before the first retry, doubled for each further one (at most 1 minute). Default: 1 s. */
  readonly backoffMs: number;
}
