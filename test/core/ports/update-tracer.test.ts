import { describe, expect, it } from "vitest";
import { noopUpdateTracer, randomHexId } from "../../../src/core/ports/update-tracer.js";

describe("span ids without a tracer", () => {
  it("gives every span W3C-valid ids that do not repeat, across many blocks of randomness", () => {
    const spanIds = new Set<string>();
    const traceIds = new Set<string>();
    // 5,000 spans draw 120,000 random bytes: many refills of the block the ids are cut from.
    for (let i = 0; i < 5_000; i++) {
      const { ref } = noopUpdateTracer.startSpan("update.accept");
      expect(ref.traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
      expect(ref.spanId).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
      spanIds.add(ref.spanId);
      traceIds.add(ref.traceId);
    }
    expect(spanIds.size).toBe(5_000);
    expect(traceIds.size).toBe(5_000);
  });

  it("keeps a child in its parent's trace and sampling decision", () => {
    const parent = { traceId: randomHexId(16), spanId: randomHexId(8), sampled: true };
    const { ref } = noopUpdateTracer.startSpan("update.execute", { parent });
    expect(ref).toMatchObject({ traceId: parent.traceId, sampled: true });
    expect(ref.spanId).not.toBe(parent.spanId);
  });
});
