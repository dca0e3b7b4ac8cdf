/** A signal aborted when any of its sources is, and how to let go of the sources. */
export interface LinkedAbortSignal {
  readonly signal: AbortSignal;
  /** Removes the listeners from the sources (call when the signal's user is done). Idempotent. */
  dispose(): void;
}

/**
 * Like `AbortSignal.any`, but the listeners it adds to its sources are removed by `dispose()`. With
 * `AbortSignal.any`, every WatchUpdate stream registered a dependant on the server's long-lived shutdown signal
 * that only garbage collection removes (and Node's implementation of that has leaked before); one listener per
 * open stream, removed when the stream ends, bounds what the shutdown signal holds by the streams open now.
 */
export function linkAbortSignals(sources: readonly AbortSignal[]): LinkedAbortSignal {
  const controller = new AbortController();
  const abort = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  const dispose = () => {
    for (const source of sources) source.removeEventListener("abort", abort);
  };
  const aborted = sources.find((source) => source.aborted);
  if (aborted !== undefined) {
    controller.abort(aborted.reason);
    return { signal: controller.signal, dispose: () => {} };
  }
  for (const source of sources) source.addEventListener("abort", abort, { once: true });
  controller.signal.addEventListener("abort", dispose, { once: true });
  return { signal: controller.signal, dispose };
}
