/**
 * The 1,000 distinct object keys every signer contender presigns, in the same order: plain ASCII,
 * spaces, unicode (accents, CJK, emoji), `+`, `%` and mixes of them, so that no contender wins by
 * skipping the encoding work real keys need. Every key is valid under edgesign's key rules (the
 * whole-request benchmark sends them through the real app).
 */
export const KEY_COUNT = 1000;

const SHAPES: readonly ((n: string) => string)[] = [
  (n) => `photos/2026/11/img-${n}.jpg`,
  (n) => `my documents/report ${n} final.pdf`,
  (n) => `ünïcødé/ファイル-${n}.txt`,
  (n) => `a+b/c+d-${n}.txt`,
  (n) => `100%/done-${n}%.csv`,
  (n) => `emoji-😀/${n}-🚀.bin`,
  (n) => `mixed dir/a+b 100% ü-${n}.txt`,
  (n) => `logs/app/${n}/stdout.log`,
];

/** `KEY_COUNT` distinct keys, cycling through the shapes above. */
export function benchKeys(): string[] {
  const keys: string[] = [];
  for (let i = 0; i < KEY_COUNT; i++) {
    const shape = SHAPES[i % SHAPES.length] as (n: string) => string;
    keys.push(shape(String(i).padStart(4, "0")));
  }
  return keys;
}
