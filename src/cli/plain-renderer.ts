import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type Update, UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import type { WatchUpdateResponse } from "../../gen/updatemanager/v1/update_service_pb.js";
import { RolloutState, type Target, TargetRole } from "../../gen/updatemanager/v1/workload_pb.js";
import { describeChanges, describeEvent, describeRef, describeState } from "./describe-event.js";
import { planLines } from "./describe-node-plan.js";
import type { Reconnect } from "./follow-update.js";
import type { CommandResult, OutputStream, Renderer } from "./renderer.js";

/**
 * One plain line per event, for CI logs and pipes: no colours, no cursor movement, nothing printed twice.
 * Results and errors of failed commands go to stderr; everything else to stdout.
 */
export function createPlainRenderer(stdout: OutputStream, stderr: OutputStream): Renderer {
  const line = (text: string) => stdout.write(`${text}\n`);
  return {
    accepted(update, dryRun) {
      for (const text of describeAccepted(update, dryRun)) line(text);
    },
    message(message: WatchUpdateResponse) {
      if (message.message.case !== "event") return;
      const event = message.message.value;
      line(`[${event.sequence}] ${describeEvent(event)}`);
    },
    reconnecting(reconnect: Reconnect) {
      stderr.write(`${describeReconnect(reconnect)}\n`);
    },
    targets(targets) {
      for (const text of targetTable(targets)) line(text);
    },
    updates(updates) {
      for (const text of updateTable(updates)) line(text);
    },
    plans(output) {
      for (const text of planLines(output)) line(text);
    },
    result(result: CommandResult) {
      if (result.message === "") return;
      (result.exitCode === 0 ? stdout : stderr).write(`${result.message}\n`);
    },
  };
}

/** The lines that report an Update answer: the id (or the plan of a dry run) and the plan's warnings. */
export function describeAccepted(update: Update, dryRun: boolean): string[] {
  const plan = update.plan;
  const lines: string[] = [];
  if (dryRun) {
    lines.push(`dry run: ${update.image} for classifier ${update.classifier} would change:`);
    for (const migration of plan?.migrations ?? []) {
      lines.push(`  migration ${describeRef(migration.template)} (job ${migration.jobName}): ${describeChanges(migration.containers)}`);
    }
    for (const workload of plan?.workloads ?? []) {
      lines.push(
        `  ${describeRef(workload.workload)}: ${workload.unchanged ? "already up to date" : describeChanges(workload.containers)}`,
      );
    }
  } else {
    const count = plan?.workloads.length ?? 0;
    lines.push(
      `update ${update.id} ${describeState(update.state)}: ${update.image} for classifier ${update.classifier}, ` +
        `${plan?.migrations.length ?? 0} migration(s), ${count} workload(s)`,
    );
    const wait = update.gateWait;
    if (update.state === UpdateState.WAITING_FOR_GATE && wait !== undefined) {
      lines.push(`waiting: ${wait.reason}${wait.notBefore === undefined ? "" : `; not before ${timestampDate(wait.notBefore).toISOString()}`}`);
    }
  }
  for (const warning of plan?.warnings ?? []) lines.push(`warning: ${warning}`);
  for (const workload of plan?.workloads ?? []) {
    for (const warning of workload.warnings) lines.push(`warning: ${describeRef(workload.workload)}: ${warning}`);
  }
  return lines;
}

export function describeReconnect(reconnect: Reconnect): string {
  return `watch interrupted (${reconnect.cause.message}); resuming after event ${reconnect.afterSequence} in ${formatSeconds(reconnect.delayMs)}`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

const roleNames: Record<TargetRole, string> = {
  [TargetRole.UNSPECIFIED]: "-",
  [TargetRole.WORKLOAD]: "workload",
  [TargetRole.MIGRATION]: "migration",
};

const rolloutNames: Record<RolloutState, string> = {
  [RolloutState.UNSPECIFIED]: "unknown",
  [RolloutState.COMPLETE]: "complete",
  [RolloutState.PROGRESSING]: "progressing",
  [RolloutState.FAILED]: "failed",
  [RolloutState.PAUSED]: "paused",
  [RolloutState.NOT_GATEABLE]: "not-gateable",
  [RolloutState.NOT_APPLICABLE]: "-",
};

/** An aligned table, like kubectl's. */
export function targetTable(targets: readonly Target[]): string[] {
  if (targets.length === 0) return ["no targets"];
  return table(
    ["TARGET", "ROLE", "CLASSIFIER", "ROLLOUT", "BUSY", "IMAGES"],
    targets.map((target) => [
      describeRef(target.workload),
      roleNames[target.role] ?? "-",
      target.classifier,
      rolloutNames[target.rollout?.state ?? RolloutState.UNSPECIFIED] ?? "unknown",
      target.busyUpdateId === "" ? "-" : target.busyUpdateId,
      target.containers.map((c) => `${c.init ? "init " : ""}${c.name}=${c.image}`).join(" "),
    ]),
  );
}

export function updateTable(updates: readonly Update[]): string[] {
  if (updates.length === 0) return ["no updates"];
  return table(
    ["ID", "STATE", "CLASSIFIER", "IMAGE", "REQUESTER", "CREATED", "REASON"],
    updates.map((update) => [
      update.id,
      describeState(update.state),
      update.classifier,
      update.image,
      update.requester,
      update.createTime === undefined
        ? "-"
        : new Date(Number(update.createTime.seconds) * 1000).toISOString().replace(".000Z", "Z"),
      update.reason === "" ? "-" : update.reason,
    ]),
  );
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const format = (row: readonly string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return [format(header), ...rows.map(format)];
}
