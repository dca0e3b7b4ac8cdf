import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { UpdateEvent } from "../core/domain/update-event.js";
import { UpdateEventSchema } from "../../gen/updatemanager/v1/event_pb.js";
import { type WatchUpdateResponse, WatchUpdateResponseSchema } from "../../gen/updatemanager/v1/update_service_pb.js";
import { eventToProto } from "./to-proto.js";

/** How a stream's messages are serialized: protobuf binary (gRPC, gRPC-web, Connect `+proto`) or JSON (`+json`). */
export type WireFormat = "binary" | "json";

/** The WatchUpdate message of an event, for a stream of the given wire format. */
export type WatchEventResponses = (event: UpdateEvent, format: WireFormat) => WatchUpdateResponse;

/**
 * Makes each event's WatchUpdate message once, however many streams send it: the store hands every watcher of an
 * update the same (frozen) event object, so a thousand watchers share one conversion, and for binary streams one
 * encoding. The binary form is an empty message carrying the encoded `event` field as an unknown field, which the
 * protobuf serializer writes verbatim: the same bytes as encoding the message itself, but encoded once instead of
 * once per stream. JSON ignores unknown fields, so JSON streams get the message itself. Messages are never changed
 * once made (Connect only serializes them); both are held weakly, they go with their event.
 */
export function createWatchEventResponses(): WatchEventResponses {
  const messages = new WeakMap<UpdateEvent, WatchUpdateResponse>();
  const encoded = new WeakMap<UpdateEvent, WatchUpdateResponse>();
  const eventField = WatchUpdateResponseSchema.field.event.number;

  return (event, format) => {
    const cache = format === "json" ? messages : encoded;
    let response = cache.get(event);
    if (response !== undefined) return response;
    if (format === "json") {
      response = create(WatchUpdateResponseSchema, { message: { case: "event", value: eventToProto(event) } });
    } else {
      // An unknown field's data is what follows its tag: for a length-delimited one, the length and the bytes.
      const data = new BinaryWriter().bytes(toBinary(UpdateEventSchema, eventToProto(event))).finish();
      response = create(WatchUpdateResponseSchema);
      response.$unknown = [{ no: eventField, wireType: WireType.LengthDelimited, data }];
    }
    cache.set(event, response);
    return response;
  };
}
