/**
 * A bounded least-recently-used map, for tokens that already passed signature verification.
 * Keys are SHA-256 digests of the token (never the bearer token itself), so memory holds no
 * credential and every key is 32 bytes whatever the token's size.
 */
import { sha256Hex } from "../bytes";

/** An entry of a BoundedLru, linked from the least to the most recently used. */
interface Node<V> {
  key: string;
  value: V;
  older: Node<V> | undefined;
  newer: Node<V> | undefined;
}

/**
 * The recency order is a linked list beside the map, so a hit and an eviction each cost a few
 * pointer moves. A `Map` alone, re-inserting on every hit and evicting its first key, leaves a
 * deleted slot per move that `keys().next()` then skips one by one until the table is rebuilt:
 * under eviction churn (a new token per request) that scan cost ~1 µs per insert in a loop and
 * more inside a request (docs/performance.md).
 */
export class BoundedLru<V> {
  readonly #entries = new Map<string, Node<V>>();
  readonly #max: number;
  /** The least and the most recently used entries. */
  #oldest: Node<V> | undefined;
  #newest: Node<V> | undefined;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError("max must be a positive integer");
    this.#max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value, which becomes the most recently used; `undefined` when absent. */
  get(key: string): V | undefined {
    const node = this.#entries.get(key);
    if (node === undefined) return undefined;
    this.#touch(node);
    return node.value;
  }

  /** Stores `value`, evicting the least recently used entry when full. */
  set(key: string, value: V): void {
    const held = this.#entries.get(key);
    if (held !== undefined) {
      held.value = value;
      this.#touch(held);
      return;
    }
    if (this.#entries.size >= this.#max && this.#oldest !== undefined) {
      this.delete(this.#oldest.key);
    }
    const node: Node<V> = { key, value, older: this.#newest, newer: undefined };
    if (this.#newest === undefined) this.#oldest = node;
    else this.#newest.newer = node;
    this.#newest = node;
    this.#entries.set(key, node);
  }

  delete(key: string): void {
    const node = this.#entries.get(key);
    if (node === undefined) return;
    this.#entries.delete(key);
    this.#unlink(node);
  }

  clear(): void {
    this.#entries.clear();
    this.#oldest = undefined;
    this.#newest = undefined;
  }

  /** Makes `node` the most recently used. */
  #touch(node: Node<V>): void {
    if (node === this.#newest) return;
    this.#unlink(node);
    node.older = this.#newest;
    if (this.#newest === undefined) this.#oldest = node;
    else this.#newest.newer = node;
    this.#newest = node;
  }

  #unlink(node: Node<V>): void {
    if (node.older === undefined) this.#oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.#newest = node.older;
    else node.newer.older = node.older;
    node.older = undefined;
    node.newer = undefined;
  }
}

/** The SHA-256 of `token`, hex: the cache key of a verified token. */
export function tokenDigest(token: string): Promise<string> {
  return sha256Hex(token);
}
