import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFileNotificationDedupeStore } from "../../../src/store/file/file-notification-dedupe-store.js";
import { describeNotificationDedupeStoreContract } from "../../contract/notification-dedupe-store-contract.js";

const dir = mkdtempSync(join(tmpdir(), "notify-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

describeNotificationDedupeStoreContract("file", async () => {
  const path = join(dir, `state-${++files}`, "notifications.json");
  return (settings) => createFileNotificationDedupeStore({ path, ...settings });
});

describe("sent findings in a file", () => {
  it("starts empty from an unreadable file, and writes a burst once", async () => {
    const path = join(dir, "broken.json");
    writeFileSync(path, "{not json");
    const warnings: string[] = [];
    const store = createFileNotificationDedupeStore({
      path,
      flushDelayMs: 60_000,
      logger: { debug() {}, info() {}, warn: (_fields, message) => warnings.push(message), error() {}, child: () => ({}) as never },
    });
    expect(warnings).toEqual([`cannot read the notification state ${path}; starting empty`]);
    expect(await store.has("mail", "a")).toBe(false);
    store.add("mail", "a");
    store.add("mail", "b");
    expect(readFileSync(path, "utf8")).toBe("{not json"); // not written yet: a burst is one write
    await store.flush();
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ mail: "a\nb" });
  });
});
