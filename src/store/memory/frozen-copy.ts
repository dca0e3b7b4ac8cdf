/**
 * A deep copy of `value`, deeply frozen: what a store hands every subscriber of one notification. One copy is
 * shared by all of them (a WatchUpdate fan-out to a thousand streams would otherwise clone each event a thousand
 * times); frozen, so a subscriber that tried to change it would throw (modules are strict) instead of changing
 * what the others see, and it shares nothing with what the store keeps. (A `Date` inside stays settable through
 * its methods: freezing does not reach its internal slot; the event types are `readonly` for that.)
 */
export function frozenCopy<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
