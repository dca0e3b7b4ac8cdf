import type { Clock } from "../core/ports/clock.js";
import type { NodePlanClient, UpdateClient } from "./create-update-client.js";
import type { Renderer } from "./renderer.js";

/** What every command runs with. */
export interface CommandContext {
  readonly client: UpdateClient;
  /** The `plans` commands' client. */
  readonly plans: NodePlanClient;
  readonly renderer: Renderer;
  /** Time and timers for retries and waits. */
  readonly clock: Clock;
  /** A line for people about something the CLI does on its own (a retry); stderr. */
  notice(text: string): void;
}
