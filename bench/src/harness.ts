/**
 * Timing with tinybench, shaped for local workerd, whose `performance.now()` has whole-millisecond
 * resolution: every tinybench iteration is one *sample* of `opsPerSample` operations run back to
 * back (≥ 1,000 for sub-millisecond operations), reported to tinybench as the mean per operation
 * (`overriddenDuration`). Statistics are across samples, after `warmupSamples` discarded ones.
 */
import { Bench } from "tinybench";

export interface Measurement {
  name: string;
  opsPerSample: number;
  samples: number;
  /** Median, 99th percentile, minimum and maximum of the per-sample means, in µs per op. */
  p50Us: number;
  p99Us: number;
  minUs: number;
  maxUs: number;
  /** 1e6 / p50Us. */
  opsPerSecond: number;
}

export interface MeasureOptions {
  opsPerSample: number;
  samples: number;
  warmupSamples: number;
  /** Called once after warm-up, before the measured samples (e.g. to reset counters). */
  beforeMeasured?: () => void;
  /** Untimed work before and after each sample (e.g. building requests, reading responses). */
  beforeSample?: () => void;
  afterSample?: () => Promise<void>;
}

export const DEFAULT_MEASURE: MeasureOptions = { opsPerSample: 1000, samples: 7, warmupSamples: 2 };

/** Times `op(0 … opsPerSample-1)` sequentially, `samples` times after warm-up. */
export async function measure(
  name: string,
  op: (index: number) => Promise<unknown>,
  options: MeasureOptions = DEFAULT_MEASURE,
): Promise<Measurement> {
  const { opsPerSample } = options;
  const bench = new Bench({
    name,
    iterations: options.samples,
    time: 0,
    warmup: options.warmupSamples > 0,
    warmupIterations: options.warmupSamples,
    warmupTime: 0,
    retainSamples: true,
    throws: true,
    now: () => performance.now(),
  });
  bench.add(
    name,
    async () => {
      options.beforeSample?.();
      const start = performance.now();
      for (let i = 0; i < opsPerSample; i++) await op(i);
      const elapsed = performance.now() - start;
      await options.afterSample?.();
      return { overriddenDuration: elapsed / opsPerSample, overriddenIterationCost: elapsed };
    },
    {
      beforeAll(mode) {
        if (mode === "run") options.beforeMeasured?.();
      },
    },
  );
  await bench.run();
  const task = bench.tasks[0];
  const result = task?.result;
  if (result === undefined || result.state !== "completed") {
    throw new Error(`${name}: benchmark did not complete (${result?.state ?? "no result"})`);
  }
  const latency = result.latency;
  const toUs = (ms: number) => Math.round(ms * 1000 * 100) / 100;
  return {
    name,
    opsPerSample,
    samples: latency.samplesCount,
    p50Us: toUs(latency.p50),
    p99Us: toUs(latency.p99),
    minUs: toUs(latency.min),
    maxUs: toUs(latency.max),
    opsPerSecond: latency.p50 > 0 ? Math.round(1000 / latency.p50) : 0,
  };
}
