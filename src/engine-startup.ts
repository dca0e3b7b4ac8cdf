import { type BackoffOptions, createBackoff } from "./cluster/kubernetes/backoff.js";
import type { Clock } from "./core/ports/clock.js";
import type { CoreLogger } from "./core/ports/logger.js";

/** Where the update engine's start-up is: for `/readyz` and the health service. */
export type EngineStatus =
  | { readonly state: "starting" }
  | { readonly state: "running" }
  | {
      readonly state: "retrying";
      /** The last attempt's error message. */
      readonly reason: string;
      /** How many attempts failed so far. */
      readonly failures: number;
      readonly retryInMs: number;
    }
  | { readonly state: "stopped" };

export interface EngineStartupOptions {
  /**
   * One attempt to start the engine; a rejection is retried after a backoff delay. Must be safe to call again
   * after it rejected (each step idempotent, or not reached before the step that failed). Required.
   */
  attempt: () => Promise<void>;
  /** Each failed attempt is logged here with the delay before the next. Required. */
  logger: CoreLogger;
  /** Timers. Default: the system clock (see the application's `clock`). */
  clock: Clock;
  /** Delays between attempts. Default: 1 s doubling up to 30 s, 20% jitter. */
  backoff?: BackoffOptions;
  /** Called once when an attempt succeeded. Default: nothing. */
  onRunning?: () => void;
}

/** The engine's start-up, retried until it succeeds or is stopped. */
export interface EngineStartup {
  status(): EngineStatus;
  /** Begins the first attempt (once; later calls do nothing). */
  start(): void;
  /** No further attempts (on shutdown). */
  stop(): void;
}

/**
 * Starts the update engine and keeps retrying, with a capped exponential backoff and one warning per failure,
 * while it cannot start (the UpdateRun CRD not installed yet, RBAC refusing, the API server away). The process
 * keeps answering probes meanwhile and reports not ready with the reason; it never reports ready with an engine
 * that did not start, and never exits for a cause an operator can fix without restarting it.
 */
export function createEngineStartup(options: EngineStartupOptions): EngineStartup {
  const backoff = createBackoff({ initialDelayMs: 1000, maxDelayMs: 30_000, ...options.backoff });
  let status: EngineStatus = { state: "starting" };
  let started = false;
  let stopped = false;
  let cancelRetry: (() => void) | undefined;
  let failures = 0;

  const run = (): void => {
    cancelRetry = undefined;
    if (stopped) return;
    options.attempt().then(
      () => {
        if (stopped) return;
        status = { state: "running" };
        options.onRunning?.();
      },
      (error: unknown) => {
        if (stopped) return;
        failures++;
        const retryInMs = backoff.next();
        const reason = error instanceof Error ? error.message : String(error);
        status = { state: "retrying", reason, failures, retryInMs };
        options.logger.warn({ err: error, failures, retryInMs }, "the update engine could not start; retrying");
        cancelRetry = options.clock.setTimer(retryInMs, run);
      },
    );
  };

  return {
    status: () => status,
    start() {
      if (started) return;
      started = true;
      run();
    },
    stop() {
      stopped = true;
      cancelRetry?.();
      if (status.state !== "running") status = { state: "stopped" };
    },
  };
}
