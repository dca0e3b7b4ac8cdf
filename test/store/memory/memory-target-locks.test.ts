import { describe, expect, it } from "vitest";
import { DomainError } from "../../../src/core/domain/domain-error.js";
import { createMemoryTargetLocks } from "../../../src/store/memory/memory-target-locks.js";

const web = { kind: "Deployment" as const, namespace: "shop", name: "web" };
const worker = { kind: "Deployment" as const, namespace: "shop", name: "worker" };
const cache = { kind: "StatefulSet" as const, namespace: "shop", name: "cache" };

describe("memory target locks", () => {
  it("takes all locks or none, naming the holder of a busy target", async () => {
    const locks = createMemoryTargetLocks();
    await locks.acquire("u1", [web]);
    const error = await locks.acquire("u2", [worker, web, cache]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: "aborted",
      reason: "TARGET_BUSY",
      metadata: { update_id: "u1", workload: "Deployment/shop/web" },
    });
    expect(locks.holder(worker)).toBeUndefined();
    expect(locks.holder(cache)).toBeUndefined();
    expect(locks.holder(web)).toBe("u1");
  });

  it("lets the holder acquire again (resume) and extend its set", async () => {
    const locks = createMemoryTargetLocks();
    await locks.acquire("u1", [web]);
    await locks.acquire("u1", [web, worker]);
    expect(locks.holder(worker)).toBe("u1");
  });

  it("releases only the caller's own locks", async () => {
    const locks = createMemoryTargetLocks();
    await locks.acquire("u1", [web]);
    await locks.acquire("u2", [worker]);
    await locks.release("u2", [web, worker]);
    expect(locks.holder(web)).toBe("u1");
    expect(locks.holder(worker)).toBeUndefined();
    await locks.acquire("u3", [worker]);
    await locks.release("u1", [web]);
    await locks.acquire("u3", [web]);
    expect(locks.holder(web)).toBe("u3");
  });
});
