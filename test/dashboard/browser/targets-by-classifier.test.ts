import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { TargetSchema } from "../../../gen/updatemanager/v1/workload_pb.js";
import { groupTargetsByClassifier } from "../../../src/dashboard/browser/targets-by-classifier.js";
import { deployment } from "./events.js";

const target = (classifier: string, name: string) => create(TargetSchema, { classifier, workload: deployment(name) });
const targets = [target("shop", "web"), target("platform", "cache"), target("shop", "worker"), target("shop-staging", "web")];
const summary = (filter: string) =>
  groupTargetsByClassifier(targets, filter).map((g) => [g.classifier, g.targets.map((t) => t.workload?.name)]);

describe("targets grouped by classifier", () => {
  it("groups every target under its classifier, classifiers sorted, server order kept within", () => {
    expect(summary("")).toEqual([
      ["platform", ["cache"]],
      ["shop", ["web", "worker"]],
      ["shop-staging", ["web"]],
    ]);
  });

  it("keeps the classifiers containing the filter, ignoring case and surrounding blanks", () => {
    expect(summary("  SHOP ")).toEqual([
      ["shop", ["web", "worker"]],
      ["shop-staging", ["web"]],
    ]);
    expect(summary("staging")).toEqual([["shop-staging", ["web"]]]);
    expect(summary("billing")).toEqual([]);
  });
});
