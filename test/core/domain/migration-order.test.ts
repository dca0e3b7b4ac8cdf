import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMetadataKeys } from "../../../src/core/domain/metadata-keys.js";
import { migrationOrder } from "../../../src/core/domain/migration-order.js";
import { aWorkload } from "../../support/workloads.js";

const keys = createMetadataKeys();

function template(order: string | undefined, prefix?: string) {
  const annotationKeys = prefix === undefined ? keys : createMetadataKeys(prefix);
  return aWorkload("Job", {
    namespace: "shop",
    name: "migrate",
    suspended: true,
    annotations: order === undefined ? {} : { [annotationKeys.migrationOrderAnnotation]: order },
  });
}

describe("migrationOrder", () => {
  it("is unset, without a warning, when the template has no order annotation", () => {
    expect(migrationOrder(template(undefined), keys)).toEqual({});
  });

  it.each<[string, number]>([
    ["1", 1],
    ["0", 0],
    ["-3", -3],
    ["+7", 7],
    ["007", 7],
    [" 42 ", 42],
    ["\t10\n", 10],
    ["2147483647", 2147483647],
    ["-2147483648", -2147483648],
  ])("reads %j as order %d", (raw, expected) => {
    expect(migrationOrder(template(raw), keys)).toEqual({ order: expected });
  });

  it.each(["", " ", "soon", "1.5", "1e3", "0x10", "1 2", "--1", "+-1", "one", "Infinity", "NaN", "١"])(
    "treats %j as unset and warns, naming the template and the value",
    (raw) => {
      const result = migrationOrder(template(raw), keys);
      expect(result.order).toBeUndefined();
      expect(result.warning).toBe(
        `Job shop/migrate: annotation ${keys.migrationOrderAnnotation}="${raw}" is not an integer; treated as unset`,
      );
    },
  );

  it.each(["2147483648", "-2147483649", "99999999999999999999"])(
    "treats %j, outside the int32 range the API reports, as unset with a warning that says so",
    (raw) => {
      const result = migrationOrder(template(raw), keys);
      expect(result.order).toBeUndefined();
      expect(result.warning).toBe(
        `Job shop/migrate: annotation ${keys.migrationOrderAnnotation}="${raw}" ` +
          "is outside the int32 range (-2147483648 to 2147483647); treated as unset",
      );
    },
  );

  it.each(["-0", "+0", "000"])("reads %j as a plain 0 (never -0)", (raw) => {
    const { order } = migrationOrder(template(raw), keys);
    expect(Object.is(order, 0)).toBe(true);
  });

  it("reads the annotation under the installation's own key prefix only", () => {
    const custom = createMetadataKeys("deploy.example.org");
    expect(migrationOrder(template("5", "deploy.example.org"), custom)).toEqual({ order: 5 });
    // The default-prefix annotation means nothing to an installation with another prefix.
    expect(migrationOrder(template("5"), custom)).toEqual({});
  });

  it("round-trips every int32 (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), (value) => {
        const result = migrationOrder(template(String(value)), keys);
        expect(result.warning).toBeUndefined();
        expect(result.order === value).toBe(true);
      }),
    );
  });
});
