// Fixed-window rate limits kept in the key-value store (DynamoDB, dynalite locally), so every Lambda
// instance shares one count. Authentication routes are keyed by client IP and get the stricter budget
// (password guessing); everything else is keyed by user once the token is verified.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { RateLimitExceededError } from '../domain/errors';
import type { KeyValueStore } from '../ports/key-value-store';
import { requestState, type HttpEvent, type HttpResponse } from './http-event';
import type { RateLimitTier } from './route';

export interface RateLimitPolicy {
  limit: number;
  windowSeconds: number;
}

export type RateLimitPolicies = Record<RateLimitTier, RateLimitPolicy>;

export const DEFAULT_RATE_LIMITS: RateLimitPolicies = {
  auth: { limit: 20, windowSeconds: 60 },
  standard: { limit: 600, windowSeconds: 60 },
};

export function rateLimit(options: {
  kv: KeyValueStore;
  policies: RateLimitPolicies;
  tier: RateLimitTier;
  logger: Logger;
  nowMs?: () => number;
}): MiddlewareObj<HttpEvent, HttpResponse> {
  const policy = options.policies[options.tier];
  const now = options.nowMs ?? Date.now;
  return {
    before: async (request) => {
      const state = requestState(request.event);
      const caller = state.user
        ? `user:${state.user.sub}`
        : `ip:${request.event.requestContext?.http?.sourceIp ?? 'unknown'}`;
      const nowSeconds = Math.floor(now() / 1000);
      const window = Math.floor(nowSeconds / policy.windowSeconds);
      const resetAt = (window + 1) * policy.windowSeconds;
      let count: number;
      try {
        count = await options.kv.increment(`ratelimit:${options.tier}:${caller}:${window}`, 1, {
          ttlSeconds: policy.windowSeconds * 2,
        });
      } catch (error) {
        // Fail open: an unreachable counter table must not take the whole API down with it.
        options.logger.warn('rate limit counter unavailable', { error: error as Error });
        return;
      }
      state.responseHeaders['x-ratelimit-limit'] = String(policy.limit);
      state.responseHeaders['x-ratelimit-remaining'] = String(Math.max(0, policy.limit - count));
      state.responseHeaders['x-ratelimit-reset'] = String(resetAt);
      if (count > policy.limit) throw new RateLimitExceededError(Math.max(1, resetAt - nowSeconds));
    },
  };
}
