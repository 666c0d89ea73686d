/**
 * Token bucket: `perMinute` requests per minute on average, up to `burst` at once.
 * A bucket with perMinute = 0 never limits.
 */
export class RateBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Takes one token; returns 0 when allowed, else the milliseconds until one is available. */
  take(): number {
    if (this.perMinute === 0) return 0;
    const now = performance.now();
    const perMs = this.perMinute / 60_000;
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.tokens) / perMs);
  }
}
