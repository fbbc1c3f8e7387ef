// KeyValueStore in process memory, with the same semantics as the DynamoDB adapter (TTL honoured on every
// read, conditional put, atomic take and increment). For unit tests and single-process tools; it is not
// shared between processes, so anything that must coordinate concurrent Lambdas uses DynamoDB.
import type { KeyValueStore } from '../ports/key-value-store';

interface Entry {
  value?: Record<string, unknown>;
  counter?: number;
  /** epoch ms */
  expiresAt?: number;
}

export class MemoryKeyValueStore implements KeyValueStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  private live(key: string): Entry | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.nowMs()) {
      this.entries.delete(key);
      return null;
    }
    return entry;
  }

  private expiry(ttlSeconds?: number): number | undefined {
    return ttlSeconds ? this.nowMs() + ttlSeconds * 1000 : undefined;
  }

  async get<T>(key: string): Promise<T | null> {
    return (this.live(key)?.value as T | undefined) ?? null;
  }

  async put(
    key: string,
    value: Record<string, unknown>,
    options: { ttlSeconds?: number; onlyIfAbsent?: boolean } = {},
  ): Promise<boolean> {
    if (options.onlyIfAbsent && this.live(key)) return false;
    // stored as a copy, as a database would: later mutation of the caller's object must not leak in
    this.entries.set(key, { value: structuredClone(value), expiresAt: this.expiry(options.ttlSeconds) });
    return true;
  }

  async take<T>(key: string): Promise<T | null> {
    const entry = this.live(key);
    this.entries.delete(key);
    return (entry?.value as T | undefined) ?? null;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async increment(key: string, by: number, options: { ttlSeconds?: number } = {}): Promise<number> {
    const entry = this.live(key);
    if (!entry) {
      this.entries.set(key, { counter: by, expiresAt: this.expiry(options.ttlSeconds) });
      return by;
    }
    entry.counter = (entry.counter ?? 0) + by;
    return entry.counter;
  }

  async getCounters(keys: readonly string[]): Promise<number[]> {
    return keys.map((key) => this.live(key)?.counter ?? 0);
  }
}
