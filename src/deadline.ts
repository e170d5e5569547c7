/**
 * A bound on how long the gateway waits for a binding (KV, Durable Object). A store that hangs
 * must turn into a clear 503, not into a request that holds the client until the platform
 * kills it.
 */
export const STORE_TIMEOUT_MS = 2000;

export class DeadlineExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = "DeadlineExceeded";
  }
}

export async function withDeadline<T>(
  work: Promise<T>,
  what: string,
  ms: number = STORE_TIMEOUT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(what, ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
