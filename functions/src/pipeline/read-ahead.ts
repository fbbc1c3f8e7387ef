// Pulls an async iterable one item ahead of its consumer, starting at once. The worker wraps a window's
// pages in it: the first request goes out while the fact loader is still opening its transaction (taking
// its locks, reading what the source has), and each later page is fetched while the one before is loaded.

/**
 * The items of `source`, with the next one always requested before the consumer asks. A failure of the
 * source reaches the consumer on the pull that would have returned that item. `return()` (the consumer
 * stopping early) closes the source without waiting for a request in flight.
 */
export function readAhead<T>(
  source: AsyncIterable<T>,
): AsyncIterableIterator<T> & { return(value?: unknown): Promise<IteratorResult<T>> } {
  const it = source[Symbol.asyncIterator]();
  const pull = () => {
    const p = it.next();
    p.catch(() => {}); // observed here so it is never unhandled; the consumer's await sees the failure
    return p;
  };
  let ahead: Promise<IteratorResult<T>> | null = pull();
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<T>> {
      if (!ahead) return { done: true, value: undefined };
      let result: IteratorResult<T>;
      try {
        result = await ahead;
      } catch (err) {
        ahead = null;
        throw err;
      }
      ahead = result.done ? null : pull();
      return result;
    },
    async return(value?: unknown): Promise<IteratorResult<T>> {
      if (ahead) {
        ahead = null;
        // an async generator queues return() behind the pending next(): it closes once that settles
        void it.return?.(value)?.catch(() => {});
      }
      return { done: true, value: value as T };
    },
  };
}
