import { describe, expect, it } from "vitest";
import { listAllPages } from "../../../src/dashboard/browser/list-all-pages.js";

function pages(...contents: number[][]) {
  const tokens: string[] = [];
  const fetchPage = async (token: string) => {
    tokens.push(token);
    const index = token === "" ? 0 : Number(token);
    return { items: contents[index] ?? [], nextPageToken: index + 1 < contents.length ? String(index + 1) : "" };
  };
  return { fetchPage, tokens };
}

describe("reading a paged list", () => {
  it("follows the tokens to the last page, through empty pages a scoped key can get", async () => {
    const { fetchPage, tokens } = pages([1, 2], [], [3]);
    expect(await listAllPages(fetchPage, 10)).toEqual({ items: [1, 2, 3], truncated: false });
    expect(tokens).toEqual(["", "1", "2"]);
  });

  it("stops after the page limit and says so", async () => {
    const { fetchPage, tokens } = pages([1], [2], [3], [4]);
    expect(await listAllPages(fetchPage, 2)).toEqual({ items: [1, 2], truncated: true });
    expect(tokens).toHaveLength(2);
  });
});
