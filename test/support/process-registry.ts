import type { ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A per-run record of the long-lived processes tests start (etcd, kube-apiserver, docker-registry, server
 * processes), one file per process in the directory `UPDATE_MANAGER_TEST_PROCESSES` names (set by
 * test/support/global-setup.ts). A test whose setup failed half-way, or a worker that vitest ended without running
 * its exit handlers, leaves its record behind, and the global teardown stops what it names. Without the variable
 * (a helper used outside vitest) nothing is recorded.
 */
export const processRegistryVariable = "UPDATE_MANAGER_TEST_PROCESSES";

/** What the teardown needs to stop a process, and to be sure the pid still names that process. */
export interface ProcessRecord {
  pid: number;
  /** The process leads its own group (spawned `detached`): the teardown signals the whole group. */
  group: boolean;
  /** Field 22 of /proc/<pid>/stat: a recycled pid has another start time and is left alone. */
  startTime: string;
  /** What was started, for the teardown's report. */
  command: string;
}

export interface TrackOptions {
  /** Signal the process group rather than the process: true when it was spawned `detached`. Default: false. */
  group?: boolean;
  /** Registry directory. Default: `$UPDATE_MANAGER_TEST_PROCESSES`; nothing is recorded without one. */
  dir?: string;
}

/** Records `child` until it exits. */
export function trackProcess(child: ChildProcess, options: TrackOptions = {}): void {
  const dir = options.dir ?? process.env[processRegistryVariable];
  const pid = child.pid;
  if (!dir || pid === undefined) return;
  const startTime = processStartTime(pid);
  if (startTime === undefined) return; // already gone
  const record: ProcessRecord = { pid, group: options.group ?? false, startTime, command: child.spawnargs.join(" ") };
  const file = join(dir, `${pid}.json`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(record));
  child.once("exit", () => rmSync(file, { force: true }));
}

/** Field 22 (starttime) of /proc/<pid>/stat, or undefined when there is no such process (or only its zombie). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** The records still present in `dir`, i.e. processes that had not exited when last seen. */
export function leftoverProcesses(dir: string): ProcessRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(".json"));
  } catch {
    return [];
  }
  const records: ProcessRecord[] = [];
  for (const name of names) {
    try {
      records.push(JSON.parse(readFileSync(join(dir, name), "utf8")) as ProcessRecord);
    } catch {
      // Written half-way by a worker that died: nothing to act on.
    }
  }
  return records;
}

/**
 * Stops every recorded process that is still the one recorded: SIGTERM, then SIGKILL after `graceMs`.
 * Returns the records of the processes it had to stop.
 */
export async function stopLeftoverProcesses(dir: string, graceMs = 5_000): Promise<ProcessRecord[]> {
  const alive = (record: ProcessRecord) => processStartTime(record.pid) === record.startTime;
  const signal = (record: ProcessRecord, name: NodeJS.Signals) => {
    try {
      process.kill(record.group ? -record.pid : record.pid, name);
    } catch {
      // Gone meanwhile.
    }
  };
  const stopped = leftoverProcesses(dir).filter(alive);
  for (const record of stopped) signal(record, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (stopped.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const record of stopped.filter(alive)) signal(record, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
  return stopped;
}
