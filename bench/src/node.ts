/**
 * Entry point of the Node 24 signer table: scripts/bench.mjs bundles this file with esbuild and
 * calls `runNodeSigners()` in a child process. Same contenders, keys and harness as in workerd.
 */
import { runSigners, type SignerReport } from "./signers";

export function runNodeSigners(): Promise<SignerReport> {
  return runSigners(1000);
}
