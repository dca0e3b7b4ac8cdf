import { createDigestPolicy } from "./digest-policy.js";
import { createOrderedTagPolicy } from "./ordered-tag-policy.js";
import { createSemverPolicy } from "./semver-policy.js";
import { createTagFilter } from "./tag-filter.js";
import type { VersionPolicySpec } from "./version-policy-spec.js";
import type { VersionPolicy } from "./version-policy.js";

/**
 * Builds the policy a spec describes.
 *
 * @throws DomainError invalid-argument for a refused filter pattern, a bad extract template or a bad range.
 */
export function createVersionPolicy(spec: VersionPolicySpec): VersionPolicy {
  switch (spec.kind) {
    case "digest":
      return createDigestPolicy();
    case "ordered":
      return createOrderedTagPolicy({
        order: spec.order,
        ...(spec.filter === undefined ? {} : { filter: createTagFilter(spec.filter) }),
      });
    case "semver":
      return createSemverPolicy({
        constraint: spec.constraint,
        prerelease: spec.prerelease,
        ...(spec.filter === undefined ? {} : { filter: createTagFilter(spec.filter) }),
      });
  }
}
