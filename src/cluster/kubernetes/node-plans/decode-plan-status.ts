import type { NodePlanEvent } from "../../../core/domain/node-plan/node-plan-event.js";
import { emptyNodePlanStatus, type NodePlanStatus, type PodOwner } from "../../../core/domain/node-plan/node-plan-status.js";

/**
 * A NodeUpgradePlan's status as stored, read defensively: the manager wrote it, but anyone with access to the
 * /status subresource could have changed it. Fields of the wrong type fall back to their empty values, so a
 * damaged status is rewritten rather than crashing the controller.
 */
export function decodePlanStatus(raw: unknown): NodePlanStatus {
  if (typeof raw !== "object" || raw === null) return emptyNodePlanStatus;
  const status = raw as Record<string, unknown>;
  const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const optional = (key: string): Record<string, string> => {
    const value = text(status[key]);
    return value === undefined ? {} : { [key]: value };
  };
  return {
    observedGeneration: typeof status["observedGeneration"] === "number" ? status["observedGeneration"] : 0,
    latestVersion: text(status["latestVersion"]) ?? "",
    latestHash: text(status["latestHash"]) ?? "",
    applying: list(status["applying"]).filter((node): node is string => typeof node === "string"),
    nodes: list(status["nodes"])
      .filter(
        (entry): entry is NodePlanStatus["nodes"][number] =>
          typeof entry === "object" && entry !== null && typeof (entry as { name?: unknown }).name === "string" && typeof (entry as { phase?: unknown }).phase === "string",
      )
      .map((entry) => {
        // The health gate iterates these: only well-formed owners are kept.
        if (!("evictedOwners" in entry)) return entry;
        const { evictedOwners, ...rest } = entry;
        const owners = list(evictedOwners).filter(
          (owner): owner is PodOwner =>
            typeof owner === "object" && owner !== null && ["kind", "namespace", "name"].every((key) => typeof (owner as Record<string, unknown>)[key] === "string"),
        );
        return owners.length === 0 ? rest : { ...rest, evictedOwners: owners };
      }),
    conditions: list(status["conditions"]).filter(
      (entry): entry is NodePlanStatus["conditions"][number] => typeof entry === "object" && entry !== null && typeof (entry as { type?: unknown }).type === "string",
    ),
    ...optional("lastResolveTime"),
    ...optional("lastNodeFinishTime"),
    ...optional("nextWindowOpening"),
    ...optional("gateFailedHash"),
    ...optional("message"),
    ...events(status["events"]),
  };
}

/** status.events: entries with a numeric sequence, a type and a time; absent when there is no list. */
function events(raw: unknown): { events?: readonly NodePlanEvent[] } {
  if (!Array.isArray(raw)) return {};
  return {
    events: raw.filter(
      (entry): entry is NodePlanEvent =>
        typeof entry === "object" &&
        entry !== null &&
        typeof (entry as { sequence?: unknown }).sequence === "number" &&
        typeof (entry as { type?: unknown }).type === "string" &&
        typeof (entry as { time?: unknown }).time === "string",
    ),
  };
}
