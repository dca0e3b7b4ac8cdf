import type { DomElement } from "./dom-api.js";
import type { UpdateState } from "../../../gen/updatemanager/v1/update_pb.js";
import { h } from "./dom.js";
import { type Tone, updateStateTone, updateStateText } from "./format.js";

/** A state in words, coloured by its tone (the words carry the meaning; the colour only helps). */
export function badge(text: string, tone: Tone, attributes: Record<string, string> = {}): DomElement {
  return h("span", { ...attributes, class: `state state-${tone}` }, text);
}

export const updateStateBadge = (state: UpdateState, attributes: Record<string, string> = {}) =>
  badge(updateStateText(state), updateStateTone(state), attributes);
