import { describe, expect, it } from "vitest";
import {
  createMetadataKeys,
  defaultKeyPrefix,
  legacyClassifierAnnotation,
  type MetadataKeys,
} from "../../../src/core/domain/metadata-keys.js";

/** Kubernetes' qualified name for label and annotation keys: an optional DNS subdomain prefix, "/", a name. */
const qualifiedKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

const prefixed = (keys: MetadataKeys) => [
  keys.classifierLabel,
  keys.migrationOrderAnnotation,
  keys.updateIdLabel,
  keys.migrationOfLabel,
  keys.lockAnnotation,
  keys.approvalsAnnotation,
];

describe("createMetadataKeys", () => {
  it("uses the published keys under update-manager.io by default", () => {
    expect(defaultKeyPrefix).toBe("update-manager.io");
    expect(createMetadataKeys()).toEqual({
      classifierLabel: "update-manager.io/classifier",
      legacyClassifierAnnotation: "xcnt.io/update-classifier",
      migrationOrderAnnotation: "update-manager.io/migration-order",
      updateIdLabel: "update-manager.io/update-id",
      migrationOfLabel: "update-manager.io/migration-of",
      lockAnnotation: "update-manager.io/locked-by",
      approvalsAnnotation: "update-manager.io/approvals",
    });
  });

  it("puts every key of its own under a custom prefix, so two installations can share a cluster", () => {
    const custom = createMetadataKeys("team-b.example.org");
    for (const key of prefixed(custom)) expect(key.startsWith("team-b.example.org/")).toBe(true);
    expect(custom.classifierLabel).toBe("team-b.example.org/classifier");
    expect(custom.lockAnnotation).toBe("team-b.example.org/locked-by");
    // No key is shared with the default installation: neither sees (or steals) the other's objects and locks.
    const defaults = new Set(prefixed(createMetadataKeys()));
    for (const key of prefixed(custom)) expect(defaults.has(key)).toBe(false);
  });

  it("keeps the original update manager's annotation whatever the prefix: it is that tool's key, not ours", () => {
    expect(createMetadataKeys("team-b.example.org").legacyClassifierAnnotation).toBe(legacyClassifierAnnotation);
    expect(legacyClassifierAnnotation).toBe("xcnt.io/update-classifier");
  });

  it("gives each purpose its own key", () => {
    const keys = createMetadataKeys("team-b.example.org");
    const all = Object.values(keys);
    expect(new Set(all).size).toBe(all.length);
  });

  it.each([defaultKeyPrefix, "team-b.example.org", "a"])("makes keys Kubernetes accepts for prefix %j", (prefix) => {
    for (const key of Object.values(createMetadataKeys(prefix))) expect(key).toMatch(qualifiedKey);
  });
});
