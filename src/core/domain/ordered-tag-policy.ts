import type { TagFilter } from "./tag-filter.js";
import { maxTagLength } from "./version-tag.js";
import { noChange, type VersionPolicy } from "./version-policy.js";

/**
 * How an ordered policy ranks the values its filter extracts (flux's `numerical` and `alphabetical`):
 * - `numerical`: values that are decimal numbers ("-?digits[.digits]"), compared exactly (no float rounding,
 *   so 14-digit timestamps and longer compare right); tags whose value is not a number are ignored;
 * - `alphabetical`: values compared by UTF-16 code units (ISO timestamps, RFC 3339 dates).
 * The highest value wins; among equal values the alphabetically greatest tag, so the order of the tag list
 * never matters.
 */
export type TagOrder = "numerical" | "alphabetical";

export interface OrderedTagPolicyOptions {
  readonly order: TagOrder;
  /** Filter (and extraction) applied first. Default: every tag, ordered by the whole tag. */
  readonly filter?: TagFilter;
}

interface Keyed {
  readonly tag: string;
  readonly key: string;
}

/**
 * Picks the tag with the highest extracted value, like flux's numerical/alphabetical ImagePolicy, but never
 * a downgrade: it applies a tag only when its value is strictly higher than the current tag's. When the
 * current tag does not pass the filter there is nothing to compare with, so the best tag is only reported.
 */
export function createOrderedTagPolicy(options: OrderedTagPolicyOptions): VersionPolicy {
  const filter = options.filter ?? ((tag: string) => (tag.length > maxTagLength ? undefined : tag));
  const compareKeys = options.order === "numerical" ? compareDecimals : compareText;
  const keyOf = (tag: string): string | undefined => {
    const value = filter(tag);
    if (value === undefined) return undefined;
    if (options.order === "numerical" && !/^-?[0-9]{1,64}(?:\.[0-9]{1,64})?$/.test(value)) return undefined;
    return value;
  };
  const compare = (a: Keyed, b: Keyed): number => compareKeys(a.key, b.key) || compareText(a.tag, b.tag);

  return {
    description: options.order,
    choose(currentTag, tags) {
      let best: Keyed | undefined;
      for (const tag of new Set(tags)) {
        const key = keyOf(tag);
        if (key === undefined) continue;
        const keyed = { tag, key };
        if (best === undefined || compare(keyed, best) > 0) best = keyed;
      }
      if (best === undefined || best.tag === currentTag) return noChange;
      const currentKey = keyOf(currentTag);
      if (currentKey === undefined) return { report: [best.tag] };
      if (compareKeys(best.key, currentKey) <= 0) return noChange;
      return { apply: best.tag, report: [] };
    },
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Exact comparison of decimal strings of any length ("-?digits[.digits]"). */
export function compareDecimals(a: string, b: string): number {
  const negativeA = a.startsWith("-");
  const negativeB = b.startsWith("-");
  if (negativeA !== negativeB) return isZero(a) && isZero(b) ? 0 : negativeA ? -1 : 1;
  const magnitude = compareMagnitudes(negativeA ? a.slice(1) : a, negativeB ? b.slice(1) : b);
  return negativeA ? -magnitude : magnitude;
}

function isZero(value: string): boolean {
  return /^-?0*(?:\.0*)?$/.test(value);
}

function compareMagnitudes(a: string, b: string): number {
  const [intA = "", fracA = ""] = a.split(".");
  const [intB = "", fracB = ""] = b.split(".");
  const wholeA = intA.replace(/^0+/, "");
  const wholeB = intB.replace(/^0+/, "");
  if (wholeA.length !== wholeB.length) return wholeA.length < wholeB.length ? -1 : 1;
  if (wholeA !== wholeB) return wholeA < wholeB ? -1 : 1;
  const length = Math.max(fracA.length, fracB.length);
  const paddedA = fracA.padEnd(length, "0");
  const paddedB = fracB.padEnd(length, "0");
  return paddedA < paddedB ? -1 : paddedA > paddedB ? 1 : 0;
}
