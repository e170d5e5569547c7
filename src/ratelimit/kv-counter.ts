/**
 * Approximate rate limiting kept in KV, designed around KV's limits: about one write per second
 * per key, eventual consistency (up to ~60 s across locations), last write wins, writes ten times
 * the price of reads, `expirationTtl` ≥ 60 s.
 *
 * So each isolate owns one KV key per (scope, window) — a *shard* holding its own count in the
 * key's metadata — and no two isolates ever write the same key (no lost updates, no per-key write
 * contention). An isolate counts locally, writes its shard at most once per SYNC_INTERVAL_MS and
 * learns the other isolates' counts by listing the window's shards (one `list` returns every
 * shard's metadata). The sliding-window estimate combines the previous and current windows.
 * Shards expire on their own (`expirationTtl`). docs/rate-limits.md states the accuracy and the cost.
 */
import type { PolicyOutcome } from "./headers";
import { decide, settle, windowIndex, type RateWindow } from "./window";

/** An isolate writes and re-reads each of its shards at most this often. */
export const SYNC_INTERVAL_MS = 1000;
/** Bound on scopes tracked per isolate (each a few numbers). */
export const MAX_TRACKED_SCOPES = 10_000;

export interface KvCheck {
  name: PolicyOutcome["name"];
  /** Stable id of the counted thing, e.g. `t:acme` or `s:acme:alice`. */
  scope: string;
  window: RateWindow;
}

interface ScopeState {
  /** Fixed window index the counts below belong to. */
  window: number;
  /** Admitted by this isolate in `window`. */
  mine: number;
  /** `mine` as last written to this isolate's shard. */
  flushed: number;
  /** Every other isolate's count in `window`, as last listed. */
  others: number;
  /** Every isolate's total in `window - 1`. */
  previous: number;
  previousKnown: boolean;
  /** When this window was last synced with KV (0 = never). */
  syncedAt: number;
  syncing: Promise<void> | undefined;
}

export class KvRateLimiter {
  readonly #states = new Map<string, ScopeState>();
  #isolateId: string | undefined;

  /** `isolateId` defaults to a random id made on first use (workerd forbids randomness at startup). */
  constructor(isolateId?: string) {
    this.#isolateId = isolateId;
  }

  get #isolate(): string {
    this.#isolateId ??= crypto.randomUUID().slice(0, 12);
    return this.#isolateId;
  }

  /**
   * Decides `cost` against every check at once (admitted only if all allow) and counts it.
   * Throws when KV fails on a path that must wait for it; background sync failures go to
   * `onBackgroundError`.
   */
  async charge(
    kv: KVNamespace,
    checks: readonly KvCheck[],
    cost: number,
    nowMs: number,
    waitUntil: (promise: Promise<unknown>) => void,
    onBackgroundError: (error: unknown) => void,
    /** Bounds the one wait on KV a charge may have (the first sync of a window). */
    bounded: (sync: Promise<unknown>) => Promise<unknown> = (sync) => sync,
  ): Promise<PolicyOutcome[]> {
    const states = checks.map((check) => this.#stateFor(kv, check, nowMs, waitUntil));

    // Fast path: the local view only undercounts, so a local refusal is final — no KV needed.
    let outcomes = this.#decideAll(checks, states, cost, nowMs);
    if (outcomes.some((o) => !o.decision.allowed)) return outcomes;

    // An isolate that has not seen this window in KV yet must look before admitting.
    const unsynced = checks.filter((_, i) => states[i]?.syncedAt === 0);
    if (unsynced.length > 0) {
      await bounded(Promise.all(unsynced.map((check) => this.#sync(kv, check, nowMs))));
      outcomes = this.#decideAll(checks, states, cost, nowMs);
      if (outcomes.some((o) => !o.decision.allowed)) return outcomes;
    }

    for (const state of states) if (state) state.mine += cost;
    checks.forEach((check, i) => {
      const state = states[i];
      if (state && nowMs - state.syncedAt >= SYNC_INTERVAL_MS && state.syncing === undefined) {
        waitUntil(this.#sync(kv, check, nowMs).catch(onBackgroundError));
      }
    });
    return outcomes;
  }

  #decideAll(
    checks: readonly KvCheck[],
    states: readonly (ScopeState | undefined)[],
    cost: number,
    nowMs: number,
  ): PolicyOutcome[] {
    const outcomes = checks.map((check, i) => {
      const state = states[i] as ScopeState;
      const previous = state.previousKnown ? state.previous : 0;
      return {
        name: check.name,
        window: check.window,
        decision: decide(check.window, previous, state.mine + state.others, cost, nowMs),
      };
    });
    return settle(outcomes, cost);
  }

  /** This isolate's state for the check's current window, rolling it over when needed. */
  #stateFor(
    kv: KVNamespace,
    check: KvCheck,
    nowMs: number,
    waitUntil: (promise: Promise<unknown>) => void,
  ): ScopeState {
    const window = windowIndex(nowMs, check.window.period);
    const id = `${check.scope}:${check.window.period}`;
    let state = this.#states.get(id);
    if (state !== undefined && state.window === window) return state;

    if (state !== undefined && state.mine !== state.flushed) {
      // Publish the closing window's last increments: other isolates use them as `previous`.
      waitUntil(this.#writeShard(kv, check, state.window, state.mine).catch(() => undefined));
    }
    const rolledFromPrevious = state !== undefined && state.window === window - 1;
    state = {
      window,
      mine: 0,
      flushed: 0,
      others: 0,
      previous: rolledFromPrevious && state ? state.mine + state.others : 0,
      previousKnown: rolledFromPrevious,
      syncedAt: 0,
      syncing: undefined,
    };
    this.#states.delete(id);
    if (this.#states.size >= MAX_TRACKED_SCOPES) {
      const oldest = this.#states.keys().next().value;
      if (oldest !== undefined) this.#states.delete(oldest);
    }
    this.#states.set(id, state);
    return state;
  }

  /** Writes this isolate's shard if it changed, then re-reads every shard of the window. */
  #sync(kv: KVNamespace, check: KvCheck, nowMs: number): Promise<void> {
    const state = this.#states.get(`${check.scope}:${check.window.period}`);
    if (state === undefined) return Promise.resolve();
    if (state.syncing !== undefined) return state.syncing;
    const syncing = (async () => {
      const mine = state.mine;
      if (mine !== state.flushed) {
        await this.#writeShard(kv, check, state.window, mine);
        state.flushed = mine;
      }
      const listed = await this.#listWindow(kv, check, state.window);
      state.others = listed.others;
      if (!state.previousKnown) {
        const previous = await this.#listWindow(kv, check, state.window - 1);
        state.previous = previous.others + previous.mine;
        state.previousKnown = true;
      }
      state.syncedAt = nowMs;
    })().finally(() => {
      state.syncing = undefined;
    });
    state.syncing = syncing;
    return syncing;
  }

  async #writeShard(kv: KVNamespace, check: KvCheck, window: number, count: number) {
    await kv.put(`${shardPrefix(check, window)}${this.#isolate}`, "", {
      metadata: { count },
      // KV's minimum is 60 s; keep the shard through the next window, where it is `previous`.
      expirationTtl: Math.max(60, check.window.period * 2 + 60),
    });
  }

  async #listWindow(kv: KVNamespace, check: KvCheck, window: number) {
    const own = `${shardPrefix(check, window)}${this.#isolate}`;
    let others = 0;
    let mine = 0;
    let cursor: string | undefined;
    do {
      const page: KVNamespaceListResult<{ count?: unknown }> = await kv.list({
        prefix: shardPrefix(check, window),
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const key of page.keys) {
        const count = typeof key.metadata?.count === "number" ? key.metadata.count : 0;
        if (key.name === own) mine = count;
        else others += count;
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor !== undefined);
    return { others, mine };
  }
}

export function shardPrefix(check: KvCheck, window: number): string {
  return `rl:${check.scope}:${check.window.period}:${window}:`;
}
