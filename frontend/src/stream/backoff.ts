/** Delay before reconnect attempt `attempt` (0-based): doubling from 0.5 s to 30 s, with jitter
 * so that many browsers do not all come back at the same moment after a restart. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.5 + random() / 2));
}
