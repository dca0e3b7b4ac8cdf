import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Passes a response stream's messages through and calls `onEnd` once when it ends: with undefined when it ran to
 * completion, with the error when it failed, and with a CANCELED error when the consumer stopped reading first
 * (the client went away). `around` wraps each pull from the producer, e.g. to run it in a tracing context.
 */
export function observeStreamEnd<T>(
  messages: AsyncIterable<T>,
  onEnd: (error: unknown) => void,
  around: <R>(pull: () => Promise<R>) => Promise<R> = (pull) => pull(),
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const iterator = messages[Symbol.asyncIterator]();
      let ended = false;
      const end = (error: unknown) => {
        if (ended) return;
        ended = true;
        onEnd(error);
      };
      return {
        // Not an async function: one promise per message instead of three (every streamed message passes here twice).
        next() {
          let pulled: Promise<IteratorResult<T>>;
          try {
            pulled = around(() => iterator.next());
          } catch (error) {
            end(error);
            return Promise.reject(error);
          }
          return pulled.then(
            (result) => {
              if (result.done === true) end(undefined);
              return result;
            },
            (error: unknown) => {
              end(error);
              throw error;
            },
          );
        },
        async return(value?: unknown) {
          try {
            return (await iterator.return?.(value)) ?? { done: true, value: undefined };
          } finally {
            end(new ConnectError("the stream was closed before it ended", Code.Canceled));
          }
        },
        async throw(error?: unknown) {
          end(error);
          if (iterator.throw !== undefined) return iterator.throw(error);
          throw error;
        },
      };
    },
  };
}
