import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { UpdateEventSchema } from "../../gen/updatemanager/v1/event_pb.js";
import { GateKind } from "../../gen/updatemanager/v1/gate_pb.js";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { describeEvent, describeState } from "../../src/cli/describe-event.js";

describe("the CLI's words for gates", () => {
  it("names the state and says what an update waits for, until when, and how long it waited", () => {
    expect(describeState(UpdateState.WAITING_FOR_GATE)).toBe("WAITING_FOR_GATE");
    const closed = create(UpdateEventSchema, {
      sequence: 2n,
      updateId: "u1",
      kind: {
        case: "gateClosed",
        value: {
          gate: GateKind.WINDOW,
          policy: 'window "office-hours"',
          reason: 'outside window "office-hours" (daily 09:00-17:00 UTC)',
          notBefore: timestampFromDate(new Date("2025-01-01T09:00:00Z")),
        },
      },
    });
    expect(describeEvent(closed)).toBe('waiting: outside window "office-hours" (daily 09:00-17:00 UTC); not before 2025-01-01T09:00:00.000Z');
    const opened = create(UpdateEventSchema, {
      sequence: 3n,
      updateId: "u1",
      kind: { case: "gateOpened", value: { gate: GateKind.WINDOW, policy: 'window "office-hours"', waitedMs: 32_400_000n } },
    });
    expect(describeEvent(opened)).toBe('window "office-hours" open after 32400 s');
  });
});
