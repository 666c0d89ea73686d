/** What every workload gets: where the broker is, how long to run. */
export interface Timing {
  /** Warm-up before measuring (ms). */
  warmupMs: number;
  /** Measured window (ms). */
  measureMs: number;
  /** Iterations for latency loops and process starts. */
  samples: number;
}

/** One run's measurements: figure name → value (units are declared in bench/figures.ts). */
export type Measurements = Record<string, number>;
