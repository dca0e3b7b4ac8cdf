import type { DomElement } from "./dom-api.js";
import type { UpdateState, WorkloadPhase } from "../../../gen/updatemanager/v1/update_pb.js";
import { h } from "./dom.js";
import { type Tone, updateStateTone, updateStateText, workloadPhaseText, workloadPhaseTone } from "./format.js";

/** A state in words, coloured by its tone (the words carry the meaning; the colour only helps). */
export function badge(text: string, tone: Tone, attributes: Record<string, string> = {}): DomElement {
  return h("span", { ...attributes, class: `state state-${tone}` }, text);
}

export const updateStateBadge = (state: UpdateState, attributes: Record<string, string> = {}) =>
  badge(updateStateText(state), updateStateTone(state), attributes);

export const workloadPhaseBadge = (phase: WorkloadPhase) => badge(workloadPhaseText(phase), workloadPhaseTone(phase));
