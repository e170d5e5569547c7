/**
 * Side-by-side timing for the request-path targets: several contenders (the app and its bound,
 * a new-token request, jose's `jwtVerify` alone, …) take turns in one loop, a round of
 * `opsPerRound` operations each, the order reversed every other round, and the first round
 * dropped as warm-up. Rows measured one after another (./harness.ts) each meet a different JIT,
 * garbage-collector and machine state: on a shared two-core VM the same row moved by 10–30 %
 * between positions in a run, which is as much as the ratios the targets bound. Taking turns
 * round by round puts the same drift on every contender, as `npm run bench:ab` does for two
 * revisions (scripts/bench-ab.mjs).
 */

export interface Contender {
  id: string;
  label: string;
  /** Untimed, before each round: e.g. build the round's requests. */
  beforeRound?: (opsPerRound: number) => void;
  /** One timed operation. */
  op: (index: number) => Promise<unknown>;
  /** Untimed, after each round: e.g. read and check the responses. */
  afterRound?: () => Promise<void>;
}

export interface InterleavedResult {
  id: string;
  label: string;
  /** µs per operation in each measured round, in round order. */
  roundsUs: number[];
  /** Median and minimum of `roundsUs`. */
  medianUs: number;
  minUs: number;
}

export interface InterleavedOptions {
  /** Measured rounds (one warm-up round more is run and dropped). */
  rounds: number;
  opsPerRound: number;
}

export async function interleaved(
  contenders: readonly Contender[],
  options: InterleavedOptions,
): Promise<InterleavedResult[]> {
  const rounds = new Map<string, number[]>(contenders.map((c) => [c.id, []]));
  for (let round = 0; round <= options.rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) {
      contender.beforeRound?.(options.opsPerRound);
      const started = performance.now();
      for (let i = 0; i < options.opsPerRound; i++) await contender.op(i);
      const elapsed = performance.now() - started;
      await contender.afterRound?.();
      // Round 0 is warm-up.
      if (round > 0) rounds.get(contender.id)?.push((elapsed * 1000) / options.opsPerRound);
    }
  }
  return contenders.map(({ id, label }) => {
    const roundsUs = rounds.get(id) ?? [];
    return { id, label, roundsUs, medianUs: median(roundsUs), minUs: Math.min(...roundsUs) };
  });
}

/** The middle value (the upper middle one of an even count). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
}
