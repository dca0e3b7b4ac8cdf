import { Code, ConnectError } from "@connectrpc/connect";
import type { DomElement, DomInputElement } from "./dom-api.js";
import { codeName } from "./describe-error.js";
import { h } from "./dom.js";

/** A `<button>`. */
interface DomButtonElement extends DomElement {
  disabled: boolean;
}

/** What the approve and reject buttons call. */
export interface ApprovalActions {
  /**
   * Whether a key is set: without one a hint says a key is needed (the buttons stay usable: in insecure demo mode
   * anonymous callers may decide; otherwise the server's refusal is shown).
   */
  hasKey(): boolean;
  /** ApproveUpdate; rejects with the RPC's error. */
  approve(): Promise<void>;
  /** RejectUpdate with the reason typed; rejects with the RPC's error. */
  reject(reason: string): Promise<void>;
}

export interface ApprovalControls {
  readonly element: DomElement;
  /** Shown while the update waits for approval, hidden otherwise. */
  show(waiting: boolean): void;
}

/** An approval decision's failure in words: who may decide, and the server's own reason (it names what was denied). */
export function describeDecisionError(error: unknown, verb: "approve" | "reject"): string {
  const connectError = ConnectError.from(error);
  const code = codeName(connectError.code);
  switch (connectError.code) {
    case Code.PermissionDenied:
      return `${code}: ${connectError.rawMessage}. Approving and rejecting need a key with the approve scope, held by someone other than the requester.`;
    case Code.Unauthenticated:
      return `${code}: the server did not accept the API key (${connectError.rawMessage}).`;
    case Code.FailedPrecondition:
      return `${code}: ${connectError.rawMessage}.`;
    default:
      return `Could not ${verb} this update: ${code}: ${connectError.rawMessage}`;
  }
}

/**
 * The approve and reject buttons of the live view (README "Approvals and the global freeze"). The server decides
 * who may approve (the `approve` scope, not the requester): a refusal is shown beside the buttons, in words.
 * A decision made here moves the update on through the event stream, which hides the buttons.
 */
export function createApprovalControls(actions: ApprovalActions): ApprovalControls {
  const approve = h("button", { type: "button", "data-testid": "approve-update" }, "Approve") as DomButtonElement;
  const reject = h("button", { type: "button", "data-testid": "reject-update" }, "Reject") as DomButtonElement;
  const reason = h("input", { id: "reject-reason", type: "text", maxlength: "500", placeholder: "why (recorded with a rejection)" }) as DomInputElement &
    DomButtonElement;
  const status = h("p", { class: "status", role: "status", "data-testid": "approval-status" });
  const element = h(
    "section",
    { "aria-labelledby": "approval-title", "data-testid": "approval", hidden: true },
    h("h3", { id: "approval-title" }, "Approval"),
    h("p", {}, "This update waits for approval. Approving or rejecting needs a key with the approve scope; the requester may not decide on their own update."),
    h("p", { class: "approval-actions" }, approve, " ", h("label", { for: "reject-reason" }, "Reason "), reason, " ", reject),
    status,
  );
  // Disabled while a decision is on its way, so that one click sends one call.
  const setEnabled = (usable: boolean) => {
    approve.disabled = !usable;
    reject.disabled = !usable;
    reason.disabled = !usable;
  };
  if (!actions.hasKey()) status.textContent = "Enter a key with the approve scope above to approve or reject.";

  const decide = async (verb: "approve" | "reject", call: () => Promise<void>) => {
    setEnabled(false);
    status.classList.remove("error");
    status.textContent = verb === "approve" ? "Approving…" : "Rejecting…";
    try {
      await call();
      status.textContent = verb === "approve" ? "Approval recorded." : "Rejection recorded: the update ends failed.";
    } catch (error) {
      status.textContent = describeDecisionError(error, verb);
      status.classList.add("error");
    } finally {
      setEnabled(true);
    }
  };
  approve.addEventListener("click", () => void decide("approve", () => actions.approve()));
  reject.addEventListener("click", () => void decide("reject", () => actions.reject(reason.value.trim())));

  return {
    element,
    show(waiting) {
      element.hidden = !waiting;
    },
  };
}
