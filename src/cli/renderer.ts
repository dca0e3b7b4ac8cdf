import type { Update } from "../../gen/updatemanager/v1/update_pb.js";
import type { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import type { WatchUpdateResponse } from "../../gen/updatemanager/v1/update_service_pb.js";
import type { Target } from "../../gen/updatemanager/v1/workload_pb.js";
import type { ExitCode } from "./exit-codes.js";
import type { Reconnect } from "./follow-update.js";
import type { PlanOutput } from "./plan-output.js";

/** Where a renderer writes: process.stdout and process.stderr, or a recorder in tests. */
export interface OutputStream {
  write(text: string): unknown;
  /** True on a terminal. */
  readonly isTTY?: boolean;
  /** The terminal's width; lines are cut to it so redrawing never wraps. */
  readonly columns?: number;
}

/** The error a command ended with, as the server described it. */
export interface ResultError {
  /** The Connect code, e.g. `permission_denied`, or `usage` for a command line the CLI refused. */
  readonly code: string;
  /** The ErrorInfo reason, e.g. `PERMISSION_DENIED`; empty when there is none. */
  readonly reason: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** How a command ended: the last thing a renderer prints. */
export interface CommandResult {
  readonly exitCode: ExitCode;
  /** One line for people. */
  readonly message: string;
  readonly updateId?: string;
  readonly state?: UpdateState;
  /** `plans watch`: the plan's state when the watch ended (`complete`, `failed`, `invalid`, ...). */
  readonly planState?: string;
  /** Set when the wait ended at `--wait-timeout`. */
  readonly waitTimedOut?: boolean;
  readonly error?: ResultError;
}

/** Prints what commands report. One implementation per output style (terminal, plain lines, JSON lines). */
export interface Renderer {
  /** The answer of Update: the recorded update, or for a dry run its plan. */
  accepted(update: Update, dryRun: boolean): void;
  /** One message of WatchUpdate: an event (each once, in order) or a heartbeat. */
  message(message: WatchUpdateResponse): void;
  /** The watch dropped and is resumed after a delay. */
  reconnecting(reconnect: Reconnect): void;
  targets(targets: readonly Target[]): void;
  updates(updates: readonly Update[]): void;
  /** What the `plans` commands show: the list, one plan, a dry run's order, or a WatchNodePlan message. */
  plans(output: PlanOutput): void;
  /** How the command ended; always called exactly once, last. */
  result(result: CommandResult): void;
}
