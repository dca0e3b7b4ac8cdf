import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { leftoverProcesses, processStartTime, stopLeftoverProcesses, trackProcess } from "./process-registry.js";

// What the global teardown relies on so that no test process outlives a run.
describe("the per-run process registry", () => {
  it("stops a process group a test left running, and reports it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "um-process-registry-"));
    // A group leader with a child of its own, as etcd or docker-registry started `detached`.
    const leader = spawn("sh", ["-c", "sleep 60 & wait"], { detached: true, stdio: "ignore" });
    trackProcess(leader, { group: true, dir });
    const exited = once(leader, "exit");

    const stopped = await stopLeftoverProcesses(dir, 2_000);
    expect(stopped.map((record) => record.pid)).toEqual([leader.pid]);
    expect(stopped[0]?.command).toBe("sh -c sleep 60 & wait");
    await exited;
    // No member of the group is left (its `sleep` is reaped by init shortly after the signal: bounded wait).
    const groupAlive = () => {
      try {
        process.kill(-leader.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let attempt = 0; attempt < 100 && groupAlive(); attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(groupAlive()).toBe(false);
  });

  it("forgets a process once it exits, so the teardown never signals a pid that was reused", async () => {
    const dir = await mkdtemp(join(tmpdir(), "um-process-registry-"));
    const child = spawn("true", [], { stdio: "ignore" });
    trackProcess(child, { dir });
    await once(child, "exit");
    expect(leftoverProcesses(dir)).toEqual([]);
    expect(processStartTime(child.pid!)).toBeUndefined();
    expect(await stopLeftoverProcesses(dir)).toEqual([]);
  });
});
