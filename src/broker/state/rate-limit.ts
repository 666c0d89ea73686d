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
    const wait = this.peek(n);
    if (wait === 0 && this.perMinute !== 0) this.tokens -= Math.min(n, this.burst);
    return wait;
  }

  /** What `take(n)` would answer, without taking anything. */
  peek(n = 1): number {
    if (this.perMinute === 0) return 0;
    const cost = Math.min(n, this.burst);
    const now = performance.now();
    const perMs = this.perMinute / 60_000;
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * perMs);
    this.last = now;
    return this.tokens >= cost ? 0 : Math.ceil((cost - this.tokens) / perMs);
  }

  /** True when the bucket has refilled completely (nothing to remember about its user). */
  get full(): boolean {
    return this.peek(this.burst) === 0;
  }
}
