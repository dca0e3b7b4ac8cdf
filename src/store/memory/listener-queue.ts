/**
 * Delivers notifications to listeners in the order they were raised, never re-entrantly: a
 * notification raised by a listener is queued and delivered after the current one has reached every
 * listener. Listeners are snapshotted when the notification is raised, so one that subscribes later
 * does not see it and one that unsubscribes meanwhile is skipped.
 */
export interface ListenerQueue {
  /**
   * Queues `value` for every listener (all at once, so a notification raised meanwhile comes after
   * it for all of them) and delivers the queue unless a delivery is already under way.
   *
   * @param isSubscribed checked just before each delivery.
   * @param copy makes the one copy of `value` every listener of this notification gets (once, when it is raised:
   *   e.g. `frozenCopy`, so no listener shares state with the caller). Default: `value` itself.
   */
  notify<T>(
    listeners: Iterable<(value: T) => void>,
    value: T,
    isSubscribed: (listener: (value: T) => void) => boolean,
    copy?: (value: T) => T,
  ): void;
}

/**
 * @param onListenerError Called with what a listener threw; the other listeners still get the value.
 *   Default: rethrows it from a microtask, so a bug shows up as an uncaught error instead of silently.
 */
export function createListenerQueue(onListenerError: (error: unknown) => void = rethrowLater): ListenerQueue {
  const queue: (() => void)[] = [];
  let draining = false;
  return {
    notify(listeners, value, isSubscribed, copy) {
      const shared = copy === undefined ? value : copy(value);
      for (const listener of listeners) {
        queue.push(() => {
          if (isSubscribed(listener)) listener(shared);
        });
      }
      if (draining) return;
      draining = true;
      // By index, not shift(): shifting a queue of a thousand watchers is quadratic.
      let next = 0;
      try {
        for (; next < queue.length; next++) {
          try {
            queue[next]!();
          } catch (error) {
            onListenerError(error);
          }
        }
      } finally {
        queue.splice(0, next);
        draining = false;
      }
    },
  };
}

function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
