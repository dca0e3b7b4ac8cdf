import { readFileSync } from "node:fs";
import { parse } from "yaml";

/** examples/node-plans/k3os-latest.yaml: the seed's k3os example with only apiVersion and kind changed. */
export function k3osExample(): { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> } {
  return parse(readFileSync(new URL("../../examples/node-plans/k3os-latest.yaml", import.meta.url), "utf8"));
}

/**
 * The seed's k3os example exactly as the seed's README shows it, with only apiVersion and kind changed: in the
 * namespace k3os-system, which a manager configured with UPDATE_MANAGER_PLAN_NAMESPACE=k3os-system runs.
 */
export function seedK3osExample(): ReturnType<typeof k3osExample> {
  const example = k3osExample();
  return { ...example, metadata: { ...example.metadata, namespace: "k3os-system" } };
}
