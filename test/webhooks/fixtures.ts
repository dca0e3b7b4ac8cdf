import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A recorded payload shape (test/webhooks/fixtures), parsed. */
export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(fixtureText(name)) as Record<string, unknown>;
}

/** A recorded payload's exact bytes, as a sender would send them. */
export function fixtureText(name: string): string {
  return readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");
}
