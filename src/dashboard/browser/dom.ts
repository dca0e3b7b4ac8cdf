import type { DomDocument, DomElement } from "./dom-api.js";
import { pageWindow } from "./dom-api.js";

/** What `h` accepts as children: elements, or values shown as text (never parsed as HTML). */
export type Child = DomElement | string | number | bigint | null | undefined | false;

type Attributes = Readonly<Record<string, string | boolean | undefined>>;

let documentForElements: DomDocument | undefined;
const page = () => {
  documentForElements ??= pageWindow().document;
  return documentForElements;
};

/**
 * Creates an element: the dashboard's whole "framework". Text goes in as text nodes, so names and messages
 * from the cluster can never become markup; attributes set to `false` or `undefined` are left out.
 */
export function h(tag: string, attributes: Attributes = {}, ...children: Child[]): DomElement {
  const element = page().createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "object" ? child : String(child));
  }
  return element;
}

/** One table row: its cells in header order. */
export interface Row {
  readonly cells: readonly Child[];
  readonly attributes?: Attributes;
}

/** A table with a caption, a header row and one row per entry. */
export function table(caption: string, headers: readonly string[], rows: readonly Row[], attributes: Attributes = {}): DomElement {
  return h(
    "table",
    attributes,
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...headers.map((header) => h("th", { scope: "col" }, header)))),
    h("tbody", {}, ...rows.map((row) => h("tr", row.attributes ?? {}, ...row.cells.map((cell) => h("td", {}, cell))))),
  );
}
