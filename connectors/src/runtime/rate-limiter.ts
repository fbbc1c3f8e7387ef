// The per-credential rate budget, shared by every concurrent worker through the KeyValueStore (DynamoDB in
// AWS, dynalite locally). Each RatePolicy {limit, intervalMs} means: never more than `limit` calls in ANY
// span of intervalMs. That is safe whatever the platform counts: a fixed window of any phase (its window
// need not start where ours would; an epoch-aligned window would let 2x the limit into one of its windows
// straddling our edge), a sliding window, or a token bucket.
//
// It is a bucketed sliding log: the interval is split into SUB_WINDOWS sub-windows (25 ms for 1 s, 90 s
// for an hour), one atomic counter per (bucket, interval, sub-window number). To take a unit a call first
// increments the current sub-window (the value returned orders concurrent callers: each counts everyone
// who incremented before it), then reads the older sub-windows that intersect (now - interval, now], in
// one batched read. If they and its own count exceed the limit it backs out its unit and sleeps until the
// oldest non-empty sub-window it counted has left the interval, then tries again. Whole sub-windows are
// counted even where they only partly overlap the interval, so the limiter errs only towards waiting, by
// at most one sub-window. A call must fit every policy; if any refuses, its units in the others are backed out too.
// Each unit is held a small arrival margin beyond its interval (see arrivalMarginMs): the platform counts
// arrivals, not our decisions.
//
// pauseUntil is how one worker's 429 stops the others: a record that every acquire() reads first.
import type { KeyValueStore } from '@tributary/shared/ports/key-value-store';
import { RateBudgetSpentError, type RateLimiter, type RatePolicy } from '../contract';
import { systemSleep } from './sleep';

/** sub-windows per policy interval: the most a refused call waits beyond what is strictly needed is interval / this */
const SUB_WINDOWS = 40;
const DEFAULT_ARRIVAL_MARGIN_MS = 25;
/**
 * a pause longer than this (a platform's spent daily quota) is not slept through: acquire throws RateBudgetSpentError
 */
export const MAX_PAUSE_SLEEP_MS = 15 * 60_000;

export interface KeyValueRateLimiterOptions {
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** namespaces the keys in the shared table */
  keyPrefix?: string;
  onWait?: (bucket: string, waitMs: number, reason: 'paused' | 'budget') => void;
  /**
   * How much longer than its interval a unit is held (default 25 ms). The limiter counts calls when it
   * lets them go; the platform counts them when they arrive, and a call let go first can arrive after one
   * let go later (a busy event loop, a connection still opening): measured at up to ~17 ms on one machine.
   */
  arrivalMarginMs?: number;
}

interface Plan {
  policy: RatePolicy;
  /** sub-window length, whole ms */
  subMs: number;
  /**
   * older sub-windows that can intersect (now - held, now], held = interval + arrival margin: held / subMs, rounded up
   */
  span: number;
  ttlSeconds: number;
}

export class KeyValueRateLimiter implements RateLimiter {
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly prefix: string;
  private readonly plans: Plan[];

  constructor(
    private readonly store: KeyValueStore,
    private readonly policies: readonly RatePolicy[],
    private readonly options: KeyValueRateLimiterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? systemSleep;
    this.prefix = options.keyPrefix ?? 'ratelimit';
    const marginMs = options.arrivalMarginMs ?? DEFAULT_ARRIVAL_MARGIN_MS;
    this.plans = policies.map((policy) => {
      const subMs = Math.max(1, Math.floor(policy.intervalMs / SUB_WINDOWS));
      const heldMs = policy.intervalMs + marginMs;
      // a counter is read until its sub-window leaves the held span (subMs + heldMs after it opens); the
      // extra seconds cover the adapters' whole-second expiry and some clock skew between workers
      return { policy, subMs, span: Math.ceil(heldMs / subMs), ttlSeconds: Math.ceil((heldMs + subMs) / 1000) + 2 };
    });
  }

  async acquire(bucket: string, signal?: AbortSignal, tag?: string): Promise<void> {
    const plans = this.plans.filter((plan) => !plan.policy.tag || plan.policy.tag === tag);
    for (;;) {
      signal?.throwIfAborted();
      const pause = await this.store.get<{ untilMs: number }>(`${this.prefix}#${bucket}#pause`);
      const now = this.now();
      if (pause && pause.untilMs - now > MAX_PAUSE_SLEEP_MS) throw new RateBudgetSpentError(pause.untilMs - now);
      if (pause && pause.untilMs > now) {
        this.options.onWait?.(bucket, pause.untilMs - now, 'paused');
        await this.sleep(pause.untilMs - now, signal);
        continue;
      }
      const { waitMs, quota } = await this.take(bucket, now, plans);
      if (waitMs === 0) return;
      // a spent period quota (calls per day) is not slept through: the caller reschedules
      if (quota) throw new RateBudgetSpentError(waitMs, quota);
      this.options.onWait?.(bucket, waitMs, 'budget');
      await this.sleep(waitMs, signal);
    }
  }

  private key(bucket: string, plan: Plan, index: number): string {
    return `${this.prefix}#${bucket}#${plan.policy.tag ? `${plan.policy.tag}#` : ''}${plan.policy.intervalMs}#${index}`;
  }

  /**
   * Takes one unit under every policy; returns 0, or (having given the units back) how long to wait before
   * trying again, and the spent quota policy if one refused.
   */
  private async take(
    bucket: string,
    now: number,
    plans: readonly Plan[],
  ): Promise<{ waitMs: number; quota?: RatePolicy }> {
    const current = plans.map((plan) => Math.floor(now / plan.subMs));
    // increment first, everywhere, and only then read: of two racing callers, the later incrementer sees the earlier
    const own = await Promise.all(
      plans.map((plan, p) =>
        this.store.increment(this.key(bucket, plan, current[p]!), 1, { ttlSeconds: plan.ttlSeconds }),
      ),
    );
    const waits = await Promise.all(plans.map((plan, p) => this.refusal(bucket, plan, current[p]!, own[p]!, now)));
    const waitMs = Math.max(0, ...waits);
    if (waitMs > 0) {
      await Promise.all(
        plans.map((plan, p) =>
          this.store.increment(this.key(bucket, plan, current[p]!), -1, { ttlSeconds: plan.ttlSeconds }),
        ),
      );
    }
    const spent = plans.findIndex((plan, p) => plan.policy.quota && waits[p]! > 0);
    return spent >= 0 ? { waitMs: waits[spent]!, quota: plans[spent]!.policy } : { waitMs };
  }

  /**
   * 0 if the unit counted as `own` in sub-window `current` fits the policy, else ms until the oldest counted sub-window
   * leaves the held span.
   */
  private async refusal(bucket: string, plan: Plan, current: number, own: number, now: number): Promise<number> {
    const older = Array.from({ length: plan.span }, (_, i) => current - plan.span + i);
    const counts = await this.store.getCounters(older.map((index) => this.key(bucket, plan, index)));
    const used = counts.reduce((sum, n) => sum + n, own);
    if (used <= plan.policy.limit) return 0;
    const oldest = older.find((_, i) => counts[i]! > 0) ?? current;
    // sub-window j stops intersecting (now - held, now] once now >= (j + span + 1) * subMs
    return Math.max(1, (oldest + plan.span + 1) * plan.subMs - now);
  }

  async pauseUntil(bucket: string, untilMs: number): Promise<void> {
    const key = `${this.prefix}#${bucket}#pause`;
    const current = await this.store.get<{ untilMs: number }>(key);
    if (current && current.untilMs >= untilMs) return;
    const ttlSeconds = Math.max(1, Math.ceil((untilMs - this.now()) / 1000) + 1);
    await this.store.put(key, { untilMs }, { ttlSeconds });
  }
}
