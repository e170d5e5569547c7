import type { RateLimitCounter } from "../../src/ratelimit/exact";

/**
 * Cost counters: the bench hands the app wrapped bindings that count every KV operation, every
 * read of a secret and every Durable Object call, so each route's storage cost per URL can be priced.
 */
export interface Counters {
  kvReads: number;
  /** Of those, reads of a tenant's keys (`tenant:`, `tenant-revoked:`). */
  tenantReads: number;
  kvWrites: number;
  kvDeletes: number;
  kvLists: number;
  secretReads: number;
  /** console lines the app wrote (one `url_issued` line per URL). */
  logLines: number;
  /** Durable Object RPC calls (each one a billed request): usage flushes, quota reservations. */
  doRequests: number;
  /** SQLite rows those calls write: one per usage row carried, plus one per quota window counted. */
  doRowsWritten: number;
}

export function newCounters(): Counters {
  return {
    kvReads: 0,
    tenantReads: 0,
    kvWrites: 0,
    kvDeletes: 0,
    kvLists: 0,
    secretReads: 0,
    logLines: 0,
    doRequests: 0,
    doRowsWritten: 0,
  };
}

export function resetCounters(counters: Counters): void {
  Object.assign(counters, newCounters());
}

/** A KV namespace that counts reads (get/getWithMetadata, per key), writes, deletes and lists. */
export function countingKv(kv: KVNamespace, counters: Counters): KVNamespace {
  const keysIn = (key: unknown) => (Array.isArray(key) ? key.length : 1);
  const tenantKeysIn = (key: unknown) =>
    (Array.isArray(key) ? key : [key]).filter((k) => String(k).startsWith("tenant")).length;
  const wrapped = {
    get(key: unknown, options?: unknown) {
      counters.kvReads += keysIn(key);
      counters.tenantReads += tenantKeysIn(key);
      return (kv.get as (k: unknown, o?: unknown) => unknown)(key, options);
    },
    getWithMetadata(key: unknown, options?: unknown) {
      counters.kvReads += keysIn(key);
      counters.tenantReads += tenantKeysIn(key);
      return (kv.getWithMetadata as (k: unknown, o?: unknown) => unknown)(key, options);
    },
    put(key: string, value: string, options?: KVNamespacePutOptions) {
      counters.kvWrites += 1;
      return kv.put(key, value, options);
    },
    delete(key: string) {
      counters.kvDeletes += 1;
      return kv.delete(key);
    },
    list(options?: KVNamespaceListOptions) {
      counters.kvLists += 1;
      return kv.list(options);
    },
  };
  return wrapped as unknown as KVNamespace;
}

type Stub = DurableObjectStub<RateLimitCounter>;

/**
 * The tenant objects' namespace with each stub's usage calls counted before they are made. RPC
 * stubs answer every property as a remote method, so the counted stub names each one it passes on.
 */
export function countingObjects(
  namespace: DurableObjectNamespace<RateLimitCounter>,
  counters: Counters,
): DurableObjectNamespace<RateLimitCounter> {
  const wrapped = {
    idFromName: (name: string) => namespace.idFromName(name),
    get(id: DurableObjectId) {
      const stub: Stub = namespace.get(id);
      return {
        charge(...args: Parameters<Stub["charge"]>) {
          counters.doRequests += 1;
          return stub.charge(...args);
        },
        consume(...args: Parameters<Stub["consume"]>) {
          counters.doRequests += 1;
          return stub.consume(...args);
        },
        usage(...args: Parameters<Stub["usage"]>) {
          counters.doRequests += 1;
          return stub.usage(...args);
        },
        recordUsage(...args: Parameters<Stub["recordUsage"]>) {
          counters.doRequests += 1;
          counters.doRowsWritten += args[0].length;
          return stub.recordUsage(...args);
        },
        reserveQuota(...args: Parameters<Stub["reserveQuota"]>) {
          const [, amounts] = args;
          counters.doRequests += 1;
          // Written when admitted (the bench's quota never refuses): one row per quota window.
          counters.doRowsWritten += (amounts.urls > 0 ? 1 : 0) + (amounts.bytes > 0 ? 2 : 0);
          return stub.reserveQuota(...args);
        },
      };
    },
  };
  return wrapped as unknown as DurableObjectNamespace<RateLimitCounter>;
}

/**
 * The env the app sees: `KV` counted, and every read of a name in `secretNames` counted (the app
 * looks secrets up by name on each use). Getters rather than a Proxy, so that counting costs
 * about what reading a binding costs.
 */
export function countingEnv<E extends object>(
  env: E,
  kv: KVNamespace,
  secretNames: readonly string[],
  counters: Counters,
  objects?: DurableObjectNamespace<RateLimitCounter>,
): E {
  const counted: Record<string, unknown> = {
    ...env,
    KV: kv,
    ...(objects === undefined ? {} : { RATE_LIMITER: objects }),
  };
  for (const name of secretNames) {
    const value = counted[name];
    Object.defineProperty(counted, name, {
      enumerable: true,
      get() {
        counters.secretReads += 1;
        return value;
      },
    });
  }
  return counted as E;
}
