/**
 * Why a plan is not valid, as its Validated=False condition shows it: a CamelCase `reason` (the condition's) and
 * a message naming the field. Thrown by the parsers of this folder and caught by `parseNodePlan`, which turns it
 * into its result: a plan with a bad spec runs nothing.
 */
export class InvalidPlanSpec extends Error {
  override readonly name = "InvalidPlanSpec";

  constructor(
    /** E.g. "InvalidConcurrency", "NameTooLong", "MissingVersion". */
    readonly reason: string,
    /** The spec path, e.g. "spec.nodeSelector.matchExpressions[1].operator". */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
