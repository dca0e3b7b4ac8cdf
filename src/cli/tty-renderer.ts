import type { Update, UpdatePlan } from "../../gen/updatemanager/v1/update_pb.js";
import { MigrationPhase, UpdateState, WorkloadPhase } from "../../gen/updatemanager/v1/update_pb.js";
import type { WatchUpdateResponse } from "../../gen/updatemanager/v1/update_service_pb.js";
import { describeEvent, describeRef, describeRollout, describeState, refKey } from "./describe-event.js";
import { describeAccepted, describeReconnect, targetTable, updateTable } from "./plain-renderer.js";
import { planLines } from "./describe-node-plan.js";
import type { CommandResult, OutputStream, Renderer } from "./renderer.js";

export interface TtyRendererOptions {
  /** Colour the progress lines. Default true; false when `NO_COLOR` is set. */
  readonly color?: boolean;
}

type Tone = "pending" | "active" | "good" | "bad";

interface Row {
  readonly label: string;
  status: string;
  tone: Tone;
  detail: string;
}

const tones: Record<Tone, { readonly mark: string; readonly sgr: string }> = {
  pending: { mark: "·", sgr: "2" },
  active: { mark: "…", sgr: "33" },
  good: { mark: "✓", sgr: "32" },
  bad: { mark: "✗", sgr: "31" },
};

/** Events worth keeping on screen above the live block: failures and what the update did about them. */
const notable = new Set([
  "migrationFailed",
  "workloadFailed",
  "workloadConflict",
  "rollbackStarted",
  "workloadRollbackFailed",
  "rollbackFinished",
  "cancelRequested",
  "gateClosed",
  "gateOpened",
]);

/**
 * Live progress on a terminal: a block with one line per migration and workload that is redrawn in place (cursor
 * up, clear to the end of the screen) as events arrive, with failures and rollbacks printed above it so they
 * stay. Block lines are cut to the terminal's width, so redrawing never miscounts wrapped lines.
 */
export function createTtyRenderer(
  stdout: OutputStream,
  stderr: OutputStream,
  options: TtyRendererOptions = {},
): Renderer {
  const color = options.color ?? true;
  const rows = new Map<string, Row>();
  const header = { id: "", image: "", classifier: "", state: UpdateState.UNSPECIFIED };
  let drawn = 0;

  const width = () => Math.max(20, (stdout.columns ?? 80) - 1);
  const paint = (text: string, sgr: string) => (color ? `\x1b[${sgr}m${text}\x1b[0m` : text);
  const cut = (text: string) => {
    const chars = [...text];
    return chars.length <= width() ? text : `${chars.slice(0, width() - 1).join("")}…`;
  };

  function erase(): void {
    if (drawn > 0) stdout.write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  }

  function draw(): void {
    if (header.id === "" && rows.size === 0) return;
    // The short id: the full one is on the line above the block and in the result.
    const lines = [paint(cut(`update ${header.id.slice(0, 8)} ${describeState(header.state)}: ${header.image} (classifier ${header.classifier})`), "1")];
    const labelWidth = Math.max(0, ...[...rows.values()].map((row) => row.label.length));
    for (const row of rows.values()) {
      const text = `  ${tones[row.tone].mark} ${row.label.padEnd(labelWidth)}  ${row.status}${row.detail === "" ? "" : `  ${row.detail}`}`;
      lines.push(paint(cut(text), tones[row.tone].sgr));
    }
    stdout.write(`${lines.join("\n")}\n`);
    drawn = lines.length;
  }

  /** A line that stays: printed above the block, never redrawn, so it may wrap. */
  function permanent(text: string, sgr?: string): void {
    erase();
    stdout.write(`${sgr === undefined ? text : paint(text, sgr)}\n`);
    draw();
  }

  function set(key: string, status: string, tone: Tone, detail = ""): void {
    const row = rows.get(key);
    if (row === undefined) return;
    row.status = status;
    row.tone = tone;
    row.detail = detail;
  }

  function addPlan(plan: UpdatePlan | undefined): void {
    if (rows.size > 0 || plan === undefined) return;
    for (const migration of plan.migrations) {
      rows.set(refKey(migration.template), {
        label: `migration ${describeRef(migration.template)}`,
        status: "pending",
        tone: "pending",
        detail: "",
      });
    }
    for (const workload of plan.workloads) {
      rows.set(refKey(workload.workload), {
        label: describeRef(workload.workload),
        status: workload.unchanged ? "unchanged" : "pending",
        tone: workload.unchanged ? "good" : "pending",
        detail: "",
      });
    }
  }

  function addStatuses(update: Update): void {
    for (const migration of update.migrations) {
      const [status, tone] = migrationPhases[migration.phase] ?? ["pending", "pending"];
      set(refKey(migration.template), status, tone, migration.message);
    }
    for (const workload of update.workloads) {
      const [status, tone] = workloadPhases[workload.phase] ?? ["pending", "pending"];
      set(refKey(workload.workload), status, tone, workload.message);
    }
  }

  return {
    accepted(update, dryRun) {
      if (dryRun) {
        for (const line of describeAccepted(update, true)) stdout.write(`${line}\n`);
        return;
      }
      Object.assign(header, { id: update.id, image: update.image, classifier: update.classifier, state: update.state });
      for (const line of describeAccepted(update, false)) stdout.write(`${line}\n`);
      addPlan(update.plan);
      addStatuses(update);
      draw();
    },
    message(message: WatchUpdateResponse) {
      if (message.message.case !== "event") return;
      const event = message.message.value;
      if (header.id === "") header.id = event.updateId;
      const kind = event.kind;
      switch (kind.case) {
        case "planned":
          addPlan(kind.value.plan);
          if (header.state === UpdateState.UNSPECIFIED || header.state === UpdateState.PENDING) {
            header.state = UpdateState.RUNNING;
          }
          break;
        case "migrationStarted":
          set(refKey(kind.value.template), "running", "active", `job ${kind.value.jobName}`);
          break;
        case "migrationSucceeded":
          set(refKey(kind.value.template), "succeeded", "good");
          break;
        case "migrationFailed":
          set(refKey(kind.value.template), "failed", "bad", kind.value.reason);
          break;
        case "workloadPatched":
          set(refKey(kind.value.workload), "rolling out", "active");
          break;
        case "workloadProgress":
          set(refKey(kind.value.workload), "rolling out", "active", describeRollout(kind.value.rollout));
          break;
        case "workloadHealthy":
          set(refKey(kind.value.workload), "healthy", "good");
          break;
        case "workloadFailed":
          set(refKey(kind.value.workload), "failed", "bad", kind.value.reason);
          break;
        case "workloadConflict":
          set(refKey(kind.value.workload), "conflict", "bad", `container ${kind.value.container}`);
          break;
        case "gateClosed":
          // Between workloads a running update pauses and stays RUNNING; before it starts, it waits.
          if (header.state !== UpdateState.RUNNING && header.state !== UpdateState.ROLLING_BACK) header.state = UpdateState.WAITING_FOR_GATE;
          break;
        case "gateOpened":
          // Planned again next (then RUNNING).
          if (header.state === UpdateState.WAITING_FOR_GATE) header.state = UpdateState.PENDING;
          break;
        case "rollbackStarted":
          header.state = UpdateState.ROLLING_BACK;
          for (const ref of kind.value.workloads) set(refKey(ref), "rolling back", "active");
          break;
        case "workloadRolledBack":
          set(refKey(kind.value.workload), "rolled back", "good");
          break;
        case "workloadRollbackFailed":
          set(refKey(kind.value.workload), "rollback failed", "bad", kind.value.reason);
          break;
        case "finished":
          header.state = kind.value.state;
          for (const row of rows.values()) if (row.status === "pending") row.status = "not changed";
          break;
        default:
          break;
      }
      if (kind.case !== undefined && notable.has(kind.case)) {
        permanent(`[${event.sequence}] ${describeEvent(event)}`);
      } else {
        erase();
        draw();
      }
    },
    reconnecting(reconnect) {
      permanent(describeReconnect(reconnect), "2");
    },
    targets(targets) {
      for (const line of targetTable(targets)) stdout.write(`${line}\n`);
    },
    updates(updates) {
      for (const line of updateTable(updates)) stdout.write(`${line}\n`);
    },
    plans(output) {
      for (const line of planLines(output)) stdout.write(`${line}\n`);
    },
    result(result: CommandResult) {
      // The block stays on screen as the record of what happened.
      drawn = 0;
      if (result.message === "") return;
      const text = result.exitCode === 0 ? paint(result.message, "32") : paint(result.message, "31");
      (result.exitCode === 0 ? stdout : stderr).write(`${text}\n`);
    },
  };
}

const migrationPhases: Partial<Record<MigrationPhase, [string, Tone]>> = {
  [MigrationPhase.RUNNING]: ["running", "active"],
  [MigrationPhase.SUCCEEDED]: ["succeeded", "good"],
  [MigrationPhase.FAILED]: ["failed", "bad"],
};

const workloadPhases: Partial<Record<WorkloadPhase, [string, Tone]>> = {
  [WorkloadPhase.UNCHANGED]: ["unchanged", "good"],
  [WorkloadPhase.ROLLING_OUT]: ["rolling out", "active"],
  [WorkloadPhase.HEALTHY]: ["healthy", "good"],
  [WorkloadPhase.FAILED]: ["failed", "bad"],
  [WorkloadPhase.CONFLICT]: ["conflict", "bad"],
  [WorkloadPhase.ROLLED_BACK]: ["rolled back", "good"],
  [WorkloadPhase.ROLLBACK_FAILED]: ["rollback failed", "bad"],
};
