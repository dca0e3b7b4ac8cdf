import { fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { eventToProto } from "../../src/api/to-proto.js";
import { createWatchEventResponses } from "../../src/api/watch-event-responses.js";
import type { UpdateEvent } from "../../src/core/domain/update-event.js";
import { WatchUpdateResponseSchema } from "../../gen/updatemanager/v1/update_service_pb.js";

const web = { kind: "Deployment" as const, namespace: "shop", name: "web" };

function anEvent(sequence: number, updateId = "u1"): UpdateEvent {
  return {
    type: "workload-patched",
    workload: web,
    containers: [{ name: "web", init: false, currentImage: "registry.example.com/shop/web:1.0", newImage: "registry.example.com/shop/web:2.0", unchanged: false }],
    sequence,
    time: new Date("2025-01-01T00:00:05.250Z"),
    updateId,
  };
}

describe("WatchUpdate event messages", () => {
  it("encode to exactly the bytes of the message itself, and decode to the whole event", () => {
    const responses = createWatchEventResponses();
    const event = anEvent(7);
    const expected = toBinary(WatchUpdateResponseSchema, { $typeName: "updatemanager.v1.WatchUpdateResponse", message: { case: "event", value: eventToProto(event) } });
    const bytes = toBinary(WatchUpdateResponseSchema, responses(event, "binary"));
    expect(bytes).toEqual(expected);
    const decoded = fromBinary(WatchUpdateResponseSchema, bytes);
    expect(decoded.message.case).toBe("event");
    expect(decoded.message.value).toEqual(eventToProto(event));
  });

  it("are the event itself for JSON streams (JSON drops unknown fields)", () => {
    const responses = createWatchEventResponses();
    const json = toJson(WatchUpdateResponseSchema, responses(anEvent(7), "json")) as { event?: { sequence?: string; updateId?: string } };
    expect(json.event).toMatchObject({ sequence: "7", updateId: "u1" });
  });

  it("are made once per event and format, and never shared between events", () => {
    const responses = createWatchEventResponses();
    const a = anEvent(1, "u1");
    const b = anEvent(1, "u2");
    expect(responses(a, "binary")).toBe(responses(a, "binary"));
    expect(responses(a, "json")).toBe(responses(a, "json"));
    expect(responses(a, "binary")).not.toBe(responses(b, "binary"));
    const decoded = fromBinary(WatchUpdateResponseSchema, toBinary(WatchUpdateResponseSchema, responses(b, "binary")));
    expect(decoded.message.case === "event" && decoded.message.value.updateId).toBe("u2");
  });
});
