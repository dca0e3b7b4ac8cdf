import type { PrincipalKind } from "./access-principal.js";

/** Where audit lines go: pino's `info` fits as it is (the core's CoreLogger does too). */
export interface AuditLogger {
  info(fields: Record<string, unknown>, message: string): void;
}

export type AuditDecision = "allowed" | "denied";

/** One call, as the audit log records it. Never a credential or a token: only names and claims. */
export interface AuditEntry {
  /** Undefined when the caller could not be authenticated. */
  readonly principal?: string;
  readonly principalKind?: PrincipalKind;
  /** CI tokens: `iss`, `sub` and the claims the rules used. */
  readonly claims?: Readonly<Record<string, string>>;
  /** CI tokens: the rules that matched. */
  readonly rules?: readonly string[];
  /** `updatemanager.v1.UpdateService`. */
  readonly service: string;
  readonly method: string;
  readonly classifier?: string;
  readonly image?: string;
  readonly updateId?: string;
  readonly decision: AuditDecision;
  /** Why: `OK` when allowed, else the error's ErrorInfo reason (`PERMISSION_DENIED`, `RATE_LIMITED`, ...). */
  readonly reason: string;
  /** The denial's message, or the outcome of an allowed call that failed (its code). */
  readonly detail?: string;
  /** What a denial named (ErrorInfo metadata `denied`: `namespace:legacy`). */
  readonly denied?: string;
}

/** Writes one structured line, `audit: true`, so that log pipelines can route audit lines apart. */
export function writeAudit(logger: AuditLogger, entry: AuditEntry): void {
  const fields: Record<string, unknown> = { audit: true };
  for (const [key, value] of Object.entries(entry)) if (value !== undefined && value !== "") fields[key] = value;
  logger.info(fields, entry.decision === "allowed" ? "call allowed" : "call denied");
}
