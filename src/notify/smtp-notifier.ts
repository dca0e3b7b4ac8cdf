import nodemailer from "nodemailer";
import type { Notifier } from "../core/ports/notifier.js";
import { formatMessage } from "./format-message.js";
import type { SecretFile } from "./secret-file.js";

/**
 * How the connection is protected: `starttls` (port 587 or 25: plain, then STARTTLS, required), `tls` (port 465:
 * TLS from the start), `none` (plain; a trusted relay on the node or in the cluster only).
 */
export type SmtpSecurity = "starttls" | "tls" | "none";

export interface SmtpNotifierOptions {
  readonly channel: string;
  readonly host: string;
  readonly port: number;
  readonly security: SmtpSecurity;
  /** The login; with `password`. Default: no authentication. */
  readonly username?: string;
  readonly password?: SecretFile;
  readonly from: string;
  readonly to: readonly string[];
  /** PEM CA certificates to trust for the server's certificate (a private CA). Default: the system's. */
  readonly ca?: string;
  /** Connection, greeting and socket timeout. Default: 10 000 ms. */
  readonly timeoutMs?: number;
}

/**
 * E-mail through an SMTP server with nodemailer: STARTTLS required unless told otherwise, the password read from its
 * file at each send (a rotated Secret is used at once), one connection per message (notifications are rare).
 */
export function createSmtpNotifier(options: SmtpNotifierOptions): Notifier {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    channel: options.channel,
    async send(message) {
      const transport = nodemailer.createTransport({
        host: options.host,
        port: options.port,
        secure: options.security === "tls",
        requireTLS: options.security === "starttls",
        ignoreTLS: options.security === "none",
        ...(options.username === undefined || options.password === undefined
          ? {}
          : { auth: { user: options.username, pass: options.password.read() } }),
        ...(options.ca === undefined ? {} : { tls: { ca: options.ca } }),
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      try {
        const { subject, text } = formatMessage(message);
        await transport.sendMail({ from: options.from, to: [...options.to], subject, text });
      } finally {
        transport.close();
      }
    },
  };
}
