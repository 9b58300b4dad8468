/** How a writer waits for a busy lock: short pauses at first (a write holds it about a millisecond), then longer ones. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Milliseconds to wait before attempt `attempt + 1`, jittered so waiters do not move in step. */
export function backoff(attempt: number): number {
  const base = Math.min(1 + attempt * 2, 25);
  return base / 2 + Math.random() * base;
}
