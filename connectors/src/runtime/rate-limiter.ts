// The per-credential rate budget, shared by every concurrent worker through the KeyValueStore (DynamoDB in
// AWS, dynalite locally). Each RatePolicy is a fixed window: one atomic counter per (bucket, interval,
// window number) that expires with its window. A call takes one unit from every policy's current window;
// if any is spent it sleeps until that window ends and tries again. Fixed windows can let through up to
// 2x the limit across a window edge, so connectors declare policies at half of a platform's published
// burst where that matters (see each connector's rateLimits comment).
//
// pauseUntil is how one worker's 429 stops the others: a record that every acquire() reads first.
import type { KeyValueStore } from '@tributary/shared/ports/key-value-store';
import type { RateLimiter, RatePolicy } from '../contract';
import { systemSleep } from './sleep';

export interface KeyValueRateLimiterOptions {
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** namespaces the keys in the shared table */
  keyPrefix?: string;
  onWait?: (bucket: string, waitMs: number, reason: 'paused' | 'budget') => void;
}

export class KeyValueRateLimiter implements RateLimiter {
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly prefix: string;

  constructor(
    private readonly store: KeyValueStore,
    private readonly policies: readonly RatePolicy[],
    private readonly options: KeyValueRateLimiterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? systemSleep;
    this.prefix = options.keyPrefix ?? 'ratelimit';
  }

  async acquire(bucket: string, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const pause = await this.store.get<{ untilMs: number }>(`${this.prefix}#${bucket}#pause`);
      const now = this.now();
      if (pause && pause.untilMs > now) {
        this.options.onWait?.(bucket, pause.untilMs - now, 'paused');
        await this.sleep(pause.untilMs - now, signal);
        continue;
      }
      const waitMs = await this.take(bucket, now);
      if (waitMs === 0) return;
      this.options.onWait?.(bucket, waitMs, 'budget');
      await this.sleep(waitMs, signal);
    }
  }

  /** Takes one unit from every policy's window; returns 0, or how long until the fullest window ends. */
  private async take(bucket: string, now: number): Promise<number> {
    let waitMs = 0;
    for (const policy of this.policies) {
      const window = Math.floor(now / policy.intervalMs);
      const key = `${this.prefix}#${bucket}#${policy.intervalMs}#${window}`;
      const used = await this.store.increment(key, 1, { ttlSeconds: Math.ceil(policy.intervalMs / 1000) + 1 });
      // an over-count only makes later callers in this same window wait too, which they must anyway
      if (used > policy.limit) waitMs = Math.max(waitMs, (window + 1) * policy.intervalMs - now);
    }
    return waitMs;
  }

  async pauseUntil(bucket: string, untilMs: number): Promise<void> {
    const key = `${this.prefix}#${bucket}#pause`;
    const current = await this.store.get<{ untilMs: number }>(key);
    if (current && current.untilMs >= untilMs) return;
    const ttlSeconds = Math.max(1, Math.ceil((untilMs - this.now()) / 1000) + 1);
    await this.store.put(key, { untilMs }, { ttlSeconds });
  }
}
