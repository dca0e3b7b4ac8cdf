import { readFileSync } from "node:fs";
import { parse } from "yaml";

/** examples/node-plans/k3os-latest.yaml: the seed's k3os example with only apiVersion and kind changed. */
export function k3osExample(): { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> } {
  return parse(readFileSync(new URL("../../examples/node-plans/k3os-latest.yaml", import.meta.url), "utf8"));
}
