import type { EventEmitter } from "node:events";
import type { Logger } from "./telemetry/logger.js";

export interface CrashHandlerOptions {
  /** Where the failure is logged (at fatal) before the exit. Required. */
  logger: Pick<Logger, "fatal">;
  /** The process whose events are handled. Default: `process`. */
  process?: Pick<EventEmitter, "on">;
  /** Ends the process. Default: `process.exit`. */
  exit?: (code: number) => void;
}

/**
 * Makes an unhandled promise rejection or an uncaught exception end the process with exit code 1, after one
 * fatal log line saying which: the state is unknown after either, so carrying on could serve from a half-broken
 * engine; Kubernetes restarts the container instead.
 */
export function installCrashHandlers(options: CrashHandlerOptions): void {
  const target = options.process ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  target.on("unhandledRejection", (reason: unknown) => {
    options.logger.fatal({ err: reason }, "unhandled promise rejection: exiting");
    exit(1);
  });
  target.on("uncaughtException", (error: unknown) => {
    options.logger.fatal({ err: error }, "uncaught exception: exiting");
    exit(1);
  });
}
