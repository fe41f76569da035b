import { isPermanent } from './permanent-failure.js';

/**
 * After delivery `attempt` (1-based) failed: how long to wait before the next one,
 * or null when the message should be dead-lettered now.
 */
export function retryDelay(delaysMs: readonly number[], attempt: number, error: unknown): number | null {
  if (isPermanent(error)) return null;
  return attempt <= delaysMs.length ? delaysMs[attempt - 1]! : null;
}
