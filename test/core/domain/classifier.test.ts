import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasClassifier, validateClassifier, workloadClassifier } from "../../../src/core/domain/classifier.js";
import { DomainError } from "../../../src/core/domain/domain-error.js";
import { createMetadataKeys, legacyClassifierAnnotation } from "../../../src/core/domain/metadata-keys.js";
import { aWorkload } from "../../support/workloads.js";

/** The DomainError `fn` throws (fails the test when it throws nothing or something else). */
function domainErrorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error("expected a DomainError, but nothing was thrown");
}

const keys = createMetadataKeys();

describe("validateClassifier", () => {
  it.each(["shop", "a", "9", "Shop_Web-2.x", "a".repeat(63), "a-b", "A.B_C"])("accepts the label value %j unchanged", (value) => {
    expect(validateClassifier(value)).toBe(value);
  });

  it("refuses an empty classifier as required, naming the field", () => {
    const error = domainErrorOf(() => validateClassifier(""));
    expect(error.code).toBe("invalid-argument");
    expect(error.reason).toBe("INVALID_ARGUMENT");
    expect(error.metadata).toEqual({ field: "classifier" });
    expect(error.message).toBe("classifier is required");
  });

  it("refuses a value longer than 63 characters and says how long it was", () => {
    const error = domainErrorOf(() => validateClassifier("a".repeat(64)));
    expect(error.metadata.field).toBe("classifier");
    expect(error.message).toContain("at most 63 characters");
    expect(error.message).toContain("got 64");
  });

  it.each(["-shop", "shop-", ".shop", "shop_", "shop web", "shop/web", "shöp", "shop\n", " shop", "a:b"])(
    "refuses %j, which Kubernetes would not take as a label value",
    (value) => {
      const error = domainErrorOf(() => validateClassifier(value));
      expect(error.code).toBe("invalid-argument");
      expect(error.message).toContain("not a valid label value");
      expect(error.message).toContain(JSON.stringify(value));
    },
  );

  it("names the field it was given, so nested request fields are reported as such", () => {
    expect(domainErrorOf(() => validateClassifier("", "filter.classifier")).metadata).toEqual({ field: "filter.classifier" });
    expect(domainErrorOf(() => validateClassifier("-x", "filter.classifier")).message).toMatch(/^filter\.classifier /);
  });

  it("accepts exactly the values matching Kubernetes' label value syntax (property)", () => {
    const kubernetesLabelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
    const alphabet = fc.constantFrom(..."aZ09-_./ :".split(""));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, minLength: 1, maxLength: 70 }), (value) => {
        const valid = value.length <= 63 && kubernetesLabelValue.test(value);
        let accepted: boolean;
        try {
          accepted = validateClassifier(value) === value;
        } catch (error) {
          expect(error).toBeInstanceOf(DomainError);
          accepted = false;
        }
        expect(accepted).toBe(valid);
      }),
    );
  });
});

describe("workloadClassifier", () => {
  it("reads the classifier label", () => {
    expect(workloadClassifier(aWorkload("Deployment", { classifier: "shop" }), keys, false)).toBe("shop");
  });

  it("is undefined for a workload without the label", () => {
    expect(workloadClassifier(aWorkload("Deployment", { labels: { app: "web" } }), keys, true)).toBeUndefined();
  });

  it("treats an empty label as not opted in", () => {
    expect(workloadClassifier(aWorkload("Deployment", { labels: { [keys.classifierLabel]: "" } }), keys, false)).toBeUndefined();
  });

  it("falls back to the legacy annotation only in legacy mode", () => {
    const legacy = aWorkload("Deployment", { labels: {}, annotations: { [legacyClassifierAnnotation]: "shop" } });
    expect(workloadClassifier(legacy, keys, true)).toBe("shop");
    expect(workloadClassifier(legacy, keys, false)).toBeUndefined();
  });

  it("prefers the label over the legacy annotation when both are set", () => {
    const both = aWorkload("Deployment", {
      labels: { [keys.classifierLabel]: "new" },
      annotations: { [legacyClassifierAnnotation]: "old" },
    });
    expect(workloadClassifier(both, keys, true)).toBe("new");
  });

  it("uses the legacy annotation when the label is empty, and ignores an empty annotation", () => {
    const emptyLabel = aWorkload("Deployment", {
      labels: { [keys.classifierLabel]: "" },
      annotations: { [legacyClassifierAnnotation]: "old" },
    });
    expect(workloadClassifier(emptyLabel, keys, true)).toBe("old");
    const emptyBoth = aWorkload("Deployment", { labels: {}, annotations: { [legacyClassifierAnnotation]: "" } });
    expect(workloadClassifier(emptyBoth, keys, true)).toBeUndefined();
  });

  it("reads the label under the installation's own key prefix, not the default one", () => {
    const custom = createMetadataKeys("deploy.example.org");
    const workload = aWorkload("Deployment", { classifier: "shop" }); // labelled under the default prefix
    expect(workloadClassifier(workload, custom, false)).toBeUndefined();
    const relabelled = aWorkload("Deployment", { labels: { [custom.classifierLabel]: "shop" } });
    expect(workloadClassifier(relabelled, custom, false)).toBe("shop");
    expect(workloadClassifier(relabelled, keys, false)).toBeUndefined();
  });
});

describe("hasClassifier", () => {
  it("matches the label exactly, case-sensitively", () => {
    const workload = aWorkload("Deployment", { classifier: "shop" });
    expect(hasClassifier(workload, "shop", keys, false)).toBe(true);
    expect(hasClassifier(workload, "Shop", keys, false)).toBe(false);
    expect(hasClassifier(workload, "sho", keys, false)).toBe(false);
    expect(hasClassifier(workload, "shop-2", keys, false)).toBe(false);
  });

  it("matches the legacy annotation only in legacy mode", () => {
    const legacy = aWorkload("Deployment", { labels: {}, annotations: { [legacyClassifierAnnotation]: "shop" } });
    expect(hasClassifier(legacy, "shop", keys, true)).toBe(true);
    expect(hasClassifier(legacy, "shop", keys, false)).toBe(false);
  });

  it("in legacy mode, a workload labelled for one classifier and annotated for another opts in under both", () => {
    const both = aWorkload("Deployment", {
      labels: { [keys.classifierLabel]: "new" },
      annotations: { [legacyClassifierAnnotation]: "old" },
    });
    expect(hasClassifier(both, "new", keys, true)).toBe(true);
    expect(hasClassifier(both, "old", keys, true)).toBe(true);
    expect(hasClassifier(both, "old", keys, false)).toBe(false);
  });

  it("agrees with workloadClassifier for workloads with only a label (property)", () => {
    fc.assert(
      fc.property(fc.option(fc.stringMatching(/^[a-z0-9]{1,5}$/)), fc.stringMatching(/^[a-z0-9]{1,5}$/), (label, asked) => {
        const workload = aWorkload("Deployment", { labels: label === null ? {} : { [keys.classifierLabel]: label } });
        expect(hasClassifier(workload, asked, keys, true)).toBe(workloadClassifier(workload, keys, true) === asked);
      }),
    );
  });
});
