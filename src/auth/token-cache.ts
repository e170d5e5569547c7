/**
 * A bounded least-recently-used map, for tokens that already passed signature verification.
 * Keys are SHA-256 digests of the token (never the bearer token itself), so memory holds no
 * credential and every key is 32 bytes whatever the token's size.
 */
import { sha256Hex } from "../bytes";

export class BoundedLru<V> {
  readonly #entries = new Map<string, V>();
  readonly #max: number;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError("max must be a positive integer");
    this.#max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value, which becomes the most recently used; `undefined` when absent. */
  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      // Map iteration order is insertion order: re-inserting moves the entry to the end.
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  /** Stores `value`, evicting the least recently used entry when full. */
  set(key: string, value: V): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, value);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** The SHA-256 of `token`, hex: the cache key of a verified token. */
export function tokenDigest(token: string): Promise<string> {
  return sha256Hex(token);
}
