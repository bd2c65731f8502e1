/** A token bucket: `burst` calls at once, refilled at `perSecond`. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface RateLimiter {
  /** True if a call may go ahead now (and counts it). */
  take(): boolean;
}

export function createRateLimiter(limit: RateLimit, now: () => number = () => performance.now()): RateLimiter {
  let tokens = limit.burst;
  let last = now();
  return {
    take() {
      const time = now();
      tokens = Math.min(limit.burst, tokens + ((time - last) / 1000) * limit.perSecond);
      last = time;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
