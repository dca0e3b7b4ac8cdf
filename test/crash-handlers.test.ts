import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { installCrashHandlers } from "../src/crash-handlers.js";

function harness() {
  const emitter = new EventEmitter();
  const logged: { fields: Record<string, unknown>; message: string }[] = [];
  const exits: number[] = [];
  installCrashHandlers({
    process: emitter,
    logger: { fatal: ((fields: Record<string, unknown>, message: string) => logged.push({ fields, message })) as never },
    exit: (code) => exits.push(code),
  });
  return { emitter, logged, exits };
}

describe("installCrashHandlers", () => {
  it("logs an unhandled promise rejection with its reason and ends the process with exit code 1", () => {
    const { emitter, logged, exits } = harness();
    const reason = new Error("the informer's watch rejected");
    emitter.emit("unhandledRejection", reason, Promise.resolve());
    expect(logged).toEqual([{ fields: { err: reason }, message: "unhandled promise rejection: exiting" }]);
    expect(exits).toEqual([1]);
  });

  it("does the same for an uncaught exception", () => {
    const { emitter, logged, exits } = harness();
    emitter.emit("uncaughtException", new TypeError("x is undefined"));
    expect(logged[0]?.message).toBe("uncaught exception: exiting");
    expect(exits).toEqual([1]);
  });
});
