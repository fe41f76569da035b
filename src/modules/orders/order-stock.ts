import type { Db } from '../../infra/database/sql-database.js';
import { commitStock, releaseStock, restockStock, type StockResult } from '../catalog/stock.repository.js';
import type { OrderStatus } from './order-states.js';
import { ordersRepository } from './orders.repository.js';

/** Statuses in which the order's units are reserved (validated, not paid). */
export const HOLDS_RESERVATION: readonly OrderStatus[] = ['AWAITING_PAYMENT', 'PAYMENT_FAILED'];
/** Statuses in which the order's units are sold (paid, not yet picked up): a cancel puts them back. */
export const HOLDS_SALE: readonly OrderStatus[] = ['PAID', 'SCHEDULED', 'DISPATCHING', 'DRIVER_ASSIGNED'];

type StockMove = (tx: Db, productId: string, quantity: number) => Promise<StockResult>;

async function moveAll(tx: Db, orderId: string, move: StockMove, what: string): Promise<void> {
  // Product id order, as reservations take them: two orders moving the same products never deadlock.
  const totals = new Map<string, number>();
  for (const item of await ordersRepository.items(tx, orderId)) {
    totals.set(item.productId, (totals.get(item.productId) ?? 0) + item.quantity);
  }
  for (const [productId, quantity] of [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const result = await move(tx, productId, quantity);
    // The order's own reservation is missing: stock and orders disagree, which must never pass silently.
    if (!result.ok) throw new Error(`Cannot ${what} ${quantity} of ${productId} for order ${orderId}`);
  }
}

/**
 * What happens to an order's stock when it leaves `from` (DESIGN §7): a reservation is committed at
 * PAID and released when the order ends unpaid; sold units go back on the shelf when a paid order is
 * cancelled or cannot be delivered. `transitionOrder` calls it, so no transition forgets it.
 */
export async function settleStock(tx: Db, orderId: string, from: OrderStatus, to: OrderStatus): Promise<boolean> {
  if (HOLDS_RESERVATION.includes(from) && to === 'PAID') {
    await moveAll(tx, orderId, commitStock, 'commit');
  } else if (HOLDS_RESERVATION.includes(from) && !HOLDS_RESERVATION.includes(to)) {
    await moveAll(tx, orderId, releaseStock, 'release');
  } else if (HOLDS_SALE.includes(from) && (to === 'CANCELLED' || to === 'DISPATCH_FAILED')) {
    await moveAll(tx, orderId, restockStock, 'restock');
  } else {
    return false;
  }
  return true;
}
