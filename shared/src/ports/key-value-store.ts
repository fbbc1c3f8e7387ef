// Small, expiring, strongly consistent records: OAuth state, rate-limit windows, connector rate budgets,
// WebSocket connections. DynamoDB in AWS, dynalite locally; one table, keys namespaced by the caller.
export interface KeyValueStore {
  get<T = Record<string, unknown>>(key: string): Promise<T | null>;
  /** ttlSeconds: the record disappears after this long (DynamoDB TTL; reads also ignore expired records) */
  put(
    key: string,
    value: Record<string, unknown>,
    options?: { ttlSeconds?: number; onlyIfAbsent?: boolean },
  ): Promise<boolean>;
  /** Deletes and returns the record in one step: single-use tokens such as OAuth state. */
  take<T = Record<string, unknown>>(key: string): Promise<T | null>;
  delete(key: string): Promise<void>;
  /** Atomically adds `by` to a counter and returns the new value; creates it with the TTL if absent. */
  increment(key: string, by: number, options?: { ttlSeconds?: number }): Promise<number>;
  /**
   * Counters' current values in the keys' order, 0 when absent or expired; never creates them (strongly consistent
   * reads, batched).
   */
  getCounters(keys: readonly string[]): Promise<number[]>;
}
