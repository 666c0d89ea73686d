/**
 * Token bucket: `perMinute` requests per minute on average, up to `burst` at once.
 * A bucket with perMinute = 0 never limits.
 */
export class RateBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly perMinute: number,
    /** Most tokens the bucket holds (what a full bucket can pay at once). */
    readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /**
   * Takes `n` tokens (at most the burst: a request costing more is never
   * refused for ever); returns 0 when allowed, else the milliseconds until
   * they are available (nothing is taken then).
   */
  take(n = 1): number {
    if (this.perMinute === 0) return 0;
    const cost = Math.min(n, this.burst);
    const now = performance.now();
    const perMs = this.perMinute / 60_000;
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * perMs);
    this.last = now;
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return 0;
    }
    return Math.ceil((cost - this.tokens) / perMs);
  }
}
