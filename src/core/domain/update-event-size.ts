import type { UpdateEvent } from "./update-event.js";

/** Sizes already measured: every watcher of an update is handed the same event object. */
const measured = new WeakMap<UpdateEvent, number>();

/**
 * The UTF-8 length of an event's JSON form: what a watcher's buffer holds it as, for bounding that buffer in bytes.
 * It is more than the event's protobuf encoding on the wire (field names instead of tags, quoted numbers and
 * timestamps), so a bound in these bytes is a bound of the encoded messages too. Measured once per event.
 */
export function updateEventBytes(event: UpdateEvent): number {
  let bytes = measured.get(event);
  if (bytes === undefined) {
    bytes = utf8Length(JSON.stringify(event));
    measured.set(event, bytes);
  }
  return bytes;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    // A surrogate pair is one 4-byte code point: 2 + 2 over its two halves.
    else if (code >= 0xd800 && code <= 0xdfff) bytes += 2;
    else bytes += 3;
  }
  return bytes;
}
