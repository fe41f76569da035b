import { ORDER_PROCESS } from './order-process.js';
import { ORDER_STATUSES, type OrderStatus } from './order-states.js';

/**
 * How far along the order process a status is: 0 for PENDING, and every move of the process table
 * reaches a status with a higher number (the longest path to it). An order never returns to a status
 * it left, so of two snapshots of one order the one with the higher progress is the newer, whatever
 * order their events arrive in: read models apply a snapshot only if it is not behind what they hold.
 */
export const ORDER_PROGRESS: Readonly<Record<OrderStatus, number>> = longestPaths();

export function orderProgress(status: OrderStatus): number {
  return ORDER_PROGRESS[status];
}

/** Longest path from PENDING, by relaxing every move until nothing grows; a cycle would grow forever. */
function longestPaths(): Record<OrderStatus, number> {
  const progress = Object.fromEntries(ORDER_STATUSES.map((status) => [status, 0])) as Record<OrderStatus, number>;
  for (let round = 0, grew = true; grew; round++) {
    // Checked at load: a move back to an earlier status would make "newer" undecidable by status.
    if (round > ORDER_STATUSES.length) throw new Error('The order process has a cycle: statuses cannot be ordered');
    grew = false;
    for (const step of ORDER_PROCESS) {
      for (const from of step.from) {
        if (progress[step.to] <= progress[from]) {
          progress[step.to] = progress[from] + 1;
          grew = true;
        }
      }
    }
  }
  return progress;
}
