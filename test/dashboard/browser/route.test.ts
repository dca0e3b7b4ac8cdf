import { describe, expect, it } from "vitest";
import { parseRoute, updateHref } from "../../../src/dashboard/browser/route.js";

const id = "5ce5656b-8829-484a-b6a7-edcb2a16906d";

describe("the page's routes", () => {
  it("opens an update's live view from #/updates/<id>, the link a pipeline can print", () => {
    expect(parseRoute(`#/updates/${id}`)).toEqual({ view: "update", updateId: id });
    expect(parseRoute(updateHref(id))).toEqual({ view: "update", updateId: id });
  });

  it("shows the overview for anything else", () => {
    for (const hash of ["", "#", "#/", "#/updates/", "#/updates/a/b", "#/targets", `#/updates/${"x".repeat(129)}`, "#/updates/%E0%A4%A"]) {
      expect(parseRoute(hash)).toEqual({ view: "overview" });
    }
  });

  it("round-trips ids with characters that need escaping", () => {
    expect(parseRoute(updateHref("a b?c"))).toEqual({ view: "update", updateId: "a b?c" });
  });
});
