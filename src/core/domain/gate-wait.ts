/** The gates an update passes before it starts: a time window, and the alert gate (no firing alert). */
export type GateKind = "window" | "alerts";

/**
 * Why an update waits for a gate (state `waiting-for-gate`). Set when it starts waiting and kept after it leaves the
 * wait, so its history stays readable; replaced when it waits for a gate again.
 */
export interface GateWait {
  readonly gate: GateKind;
  /** Which policy closed it: `window "office-hours"`, `alert gate "no-pages"`. */
  readonly policy: string;
  /** For people: `outside window "office-hours" (Mon-Fri 09:00-17:00 Europe/Berlin)`, the firing alerts. */
  readonly reason: string;
  /** When it began waiting. */
  readonly since: Date;
  /** When it may start: the window's next opening. Unset for the alert gate (it opens when the alerts stop). */
  readonly notBefore?: Date;
}

/** What a gate policy does to an update it closes on: it waits until open, or it is refused (or ends FAILED). */
export type GateAction = "wait" | "refuse";

/** A closed gate, as the engine acts on it. */
export interface ClosedGate {
  readonly gate: GateKind;
  readonly policy: string;
  readonly reason: string;
  readonly action: GateAction;
  /** A window: when the windows that apply are open next (undefined when they never are together). */
  readonly notBefore?: Date;
  /** The alert gate: when to query again while it waits. */
  readonly recheckMs?: number;
}
