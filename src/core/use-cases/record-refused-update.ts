import { formatImageReference, parseUpdateImage } from "../domain/image-reference.js";
import type { UpdateRecord } from "../domain/update.js";
import type { UpdateEngineDeps } from "./update-engine-deps.js";
import type { ResolvedUpdateEngineOptions } from "./update-engine-options.js";
import { tracerOf, updateAttributes, updateLogFields } from "./update-spans.js";

export interface RefusedUpdate {
  /** As the caller sent it (normalised when it parses). */
  readonly image: string;
  readonly classifier: string;
  /** Who asked: the authenticated principal. */
  readonly requester: string;
  /** Why it was refused, as the caller should read it: `REASON: message`. */
  readonly reason: string;
}

export type RecordRefusedUpdate = (refused: RefusedUpdate) => Promise<UpdateRecord>;

/**
 * Records a refused request as an update that FAILED at once, with the reason and an empty plan:
 * the original manager's clients only learn an outcome by polling an update, and would report a
 * refusal they cannot see as success. Nothing is locked or changed. One store write.
 */
export function createRecordRefusedUpdate(
  deps: Pick<UpdateEngineDeps, "store" | "clock" | "newId" | "logger" | "tracer">,
  options: Pick<ResolvedUpdateEngineOptions, "defaultUpdateTimeoutMs">,
): RecordRefusedUpdate {
  return async (refused) => {
    const now = deps.clock.now();
    let image = refused.image.trim();
    try {
      image = formatImageReference(parseUpdateImage(image));
    } catch {
      // Kept as sent: the reason says what is wrong with it.
    }
    const id = deps.newId();
    // A trace of its own too: the accept span, failed with the reason.
    const span = tracerOf(deps).startSpan("update.accept", {
      attributes: { ...updateAttributes({ id, classifier: refused.classifier, image }), "update.requester": refused.requester },
    });
    span.fail(refused.reason);
    const record: UpdateRecord = {
      id,
      state: "failed",
      phase: "finished",
      image,
      classifier: refused.classifier,
      requester: refused.requester,
      plan: { migrations: [], workloads: [], warnings: [] },
      createTime: now,
      finishTime: now,
      reason: refused.reason,
      updateTimeoutMs: options.defaultUpdateTimeoutMs,
      overrideQuarantine: false,
      cancelRequested: false,
      migrations: [],
      workloads: [],
      lastSequence: 0,
      trace: { traceId: span.ref.traceId, spanId: span.ref.spanId, sampled: span.ref.sampled, attempts: 0 },
    };
    try {
      await deps.store.create(record, [{ type: "finished", state: "failed", reason: refused.reason }]);
    } finally {
      span.end();
    }
    deps.logger.warn({ ...updateLogFields(record), requester: refused.requester, image, reason: refused.reason }, "refused update recorded as failed");
    return structuredClone(record);
  };
}
