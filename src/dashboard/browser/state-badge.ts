import type { DomElement } from "./dom-api.js";
import type { GateWait } from "../../../gen/updatemanager/v1/gate_pb.js";
import { UpdateState } from "../../../gen/updatemanager/v1/update_pb.js";
import { h } from "./dom.js";
import { type Tone, timestampText, updateStateTone, updateStateText } from "./format.js";

/** A state in words, coloured by its tone (the words carry the meaning; the colour only helps). */
export function badge(text: string, tone: Tone, attributes: Record<string, string> = {}): DomElement {
  return h("span", { ...attributes, class: `state state-${tone}` }, text);
}

/** The state's badge; an update waiting for a gate says until when, and why on hover. */
export function updateStateBadge(state: UpdateState, attributes: Record<string, string> = {}, gateWait?: GateWait): DomElement {
  if (state === UpdateState.WAITING_FOR_GATE && gateWait !== undefined) {
    const until = gateWait.notBefore === undefined ? "" : ` until ${timestampText(gateWait.notBefore)}`;
    return badge(`${updateStateText(state)}${until}`, "idle", { ...attributes, title: gateWait.reason });
  }
  return badge(updateStateText(state), updateStateTone(state), attributes);
}
