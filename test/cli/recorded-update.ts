import { readFileSync } from "node:fs";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import type { Update } from "../../gen/updatemanager/v1/update_pb.js";
import {
  UpdateResponseSchema,
  type WatchUpdateResponse,
  WatchUpdateResponseSchema,
} from "../../gen/updatemanager/v1/update_service_pb.js";

/**
 * A real update recorded from the embedded demo cluster with `update-manager update -o json`: a `-broken` tag that
 * crash-loops on the first workload and is rolled back. The first line is the answer of Update, the rest the
 * WatchUpdate stream.
 */
export const recordedLines = readFileSync(new URL("fixtures/rolled-back-update.jsonl", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line !== "");

export function recordedUpdate(): { accepted: Update; messages: WatchUpdateResponse[] } {
  const [first, ...rest] = recordedLines.map((line) => JSON.parse(line) as JsonValue);
  const accepted = fromJson(UpdateResponseSchema, first as JsonValue).update;
  if (accepted === undefined) throw new Error("the recording has no update");
  return { accepted, messages: rest.map((json) => fromJson(WatchUpdateResponseSchema, json)) };
}

/** An OutputStream that keeps what was written. */
export function recorder(options: { isTTY?: boolean; columns?: number } = {}) {
  const chunks: string[] = [];
  return {
    isTTY: options.isTTY ?? false,
    ...(options.columns === undefined ? {} : { columns: options.columns }),
    write(text: string) {
      chunks.push(text);
      return true;
    },
    get text() {
      return chunks.join("");
    },
    get lines() {
      return chunks.join("").split("\n").slice(0, -1);
    },
  };
}
