import { invalidArgument } from "./domain-error.js";
import type { MetadataKeys } from "./metadata-keys.js";
import type { Workload } from "./workload.js";

/** Kubernetes' label value syntax: at most 63 characters, alphanumeric at both ends. */
const labelValuePattern = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const maxLabelValueLength = 63;

/**
 * Validates a classifier: required, and a valid Kubernetes label value, because targets opt in with
 * it as a label. Returns it unchanged; throws DomainError invalid-argument naming `field`.
 */
export function validateClassifier(input: string, field = "classifier"): string {
  if (input === "") {
    throw invalidArgument(field, `${field} is required`);
  }
  if (input.length > maxLabelValueLength) {
    throw invalidArgument(field, `${field} must be at most ${maxLabelValueLength} characters, got ${input.length}`);
  }
  if (!labelValuePattern.test(input)) {
    throw invalidArgument(
      field,
      // Quoted as JSON: a control character in the input must not break the message (or a log line) apart.
      `${field} ${JSON.stringify(input)} is not a valid label value: use letters, digits, "-", "_" and ".", starting and ending with a letter or digit`,
    );
  }
  return input;
}

/**
 * The classifier a workload opted in with: its label, else (in legacy mode) the original update
 * manager's annotation. Undefined when it did not opt in under the current configuration.
 */
export function workloadClassifier(
  workload: Workload,
  keys: MetadataKeys,
  legacyAnnotation: boolean,
): string | undefined {
  const label = workload.labels[keys.classifierLabel];
  if (label !== undefined && label !== "") return label;
  if (!legacyAnnotation) return undefined;
  const annotation = workload.annotations[keys.legacyClassifierAnnotation];
  return annotation === undefined || annotation === "" ? undefined : annotation;
}

/** True when the workload opted in under `classifier`, by label or (in legacy mode) by annotation. */
export function hasClassifier(
  workload: Workload,
  classifier: string,
  keys: MetadataKeys,
  legacyAnnotation: boolean,
): boolean {
  if (workload.labels[keys.classifierLabel] === classifier) return true;
  return legacyAnnotation && workload.annotations[keys.legacyClassifierAnnotation] === classifier;
}
