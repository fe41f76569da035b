import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../infra/database/sql-database.js';
import { stock } from './catalog.tenant-tables.js';

export type StockLevel = { productId: string; onHand: number; reserved: number };

/** What a reservation, release or commit did. A shortfall is an expected outcome, not an exception. */
export type StockResult =
  | { ok: true; stock: StockLevel }
  | { ok: false; reason: 'insufficient_stock'; stock: StockLevel }
  | { ok: false; reason: 'unknown_product' };

export type ReserveItemsResult =
  | { ok: true; stock: StockLevel[] }
  | { ok: false; reason: 'insufficient_stock' | 'unknown_product'; productId: string };

const level = { productId: stock.productId, onHand: stock.onHand, reserved: stock.reserved };

function assertQuantity(quantity: number): void {
  // A caller passing 0, a negative or a fraction is a bug: the HTTP layer validates quantities.
  if (!Number.isSafeInteger(quantity) || quantity <= 0) throw new RangeError(`Invalid stock quantity ${quantity}`);
}

/**
 * Stock moves for the order lifecycle, each ONE conditional update in the caller's transaction on the
 * tenant's database. The condition is checked against the row as it is when the update takes its row
 * lock (PostgreSQL re-evaluates the WHERE clause after waiting for a concurrent writer), so no
 * interleaving of concurrent calls can oversell; the table's CHECK constraints back that up.
 *
 * The repository knows nothing about products being active or deleted: the caller decides what is
 * orderable (see `productsRepository.findOrderable`).
 */
export const stockRepository = {
  async find(tx: Db, productId: string): Promise<StockLevel | undefined> {
    const [row] = await tx.select(level).from(stock).where(eq(stock.productId, productId));
    return row;
  },

  async findForUpdate(tx: Db, productId: string): Promise<StockLevel | undefined> {
    const [row] = await tx.select(level).from(stock).where(eq(stock.productId, productId)).for('update');
    return row;
  },

  async insert(tx: Db, productId: string, onHand: number): Promise<StockLevel> {
    const [row] = await tx.insert(stock).values({ productId, onHand }).returning(level);
    return row!;
  },

  /** Sets `on_hand` (staff adjustments). The caller holds the row lock and has checked `onHand >= reserved`. */
  async setOnHand(tx: Db, productId: string, onHand: number): Promise<StockLevel> {
    const [row] = await tx
      .update(stock)
      .set({ onHand, updatedAt: sql`now()` })
      .where(eq(stock.productId, productId))
      .returning(level);
    return row!;
  },
};

/** Promises `quantity` units to an order: succeeds only while `reserved + quantity <= on_hand`. */
export async function reserveStock(tx: Db, productId: string, quantity: number): Promise<StockResult> {
  assertQuantity(quantity);
  const [row] = await tx
    .update(stock)
    .set({ reserved: sql`${stock.reserved} + ${quantity}`, updatedAt: sql`now()` })
    .where(and(eq(stock.productId, productId), sql`${stock.reserved} + ${quantity} <= ${stock.onHand}`))
    .returning(level);
  return row ? { ok: true, stock: row } : failure(tx, productId);
}

/** Gives back a reservation (order rejected, expired or cancelled before payment). */
export async function releaseStock(tx: Db, productId: string, quantity: number): Promise<StockResult> {
  assertQuantity(quantity);
  const [row] = await tx
    .update(stock)
    .set({ reserved: sql`${stock.reserved} - ${quantity}`, updatedAt: sql`now()` })
    .where(and(eq(stock.productId, productId), sql`${stock.reserved} >= ${quantity}`))
    .returning(level);
  return row ? { ok: true, stock: row } : failure(tx, productId);
}

/** Turns a reservation into a sale (order paid): the units leave both `reserved` and `on_hand`. */
export async function commitStock(tx: Db, productId: string, quantity: number): Promise<StockResult> {
  assertQuantity(quantity);
  const [row] = await tx
    .update(stock)
    .set({
      onHand: sql`${stock.onHand} - ${quantity}`,
      reserved: sql`${stock.reserved} - ${quantity}`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(stock.productId, productId), sql`${stock.reserved} >= ${quantity}`))
    .returning(level);
  return row ? { ok: true, stock: row } : failure(tx, productId);
}

/** Puts sold units back on the shelf (a paid order cancelled before pick-up). */
export async function restockStock(tx: Db, productId: string, quantity: number): Promise<StockResult> {
  assertQuantity(quantity);
  const [row] = await tx
    .update(stock)
    .set({ onHand: sql`${stock.onHand} + ${quantity}`, updatedAt: sql`now()` })
    .where(eq(stock.productId, productId))
    .returning(level);
  return row ? { ok: true, stock: row } : failure(tx, productId);
}

/**
 * Reserves every line of an order, or none: products are taken in id order (two orders over the
 * same products never deadlock), quantities of repeated products are summed, and on a shortfall the
 * lines already reserved are released in the same transaction before the failure is returned.
 */
export async function reserveItems(
  tx: Db,
  items: readonly { productId: string; quantity: number }[],
): Promise<ReserveItemsResult> {
  const ordered = byProduct(items);
  const done: [string, number][] = [];
  const levels: StockLevel[] = [];
  for (const [productId, quantity] of ordered) {
    const result = await reserveStock(tx, productId, quantity);
    if (!result.ok) {
      for (const [reserved, units] of done) await releaseStock(tx, reserved, units);
      return { ok: false, reason: result.reason, productId };
    }
    done.push([productId, quantity]);
    levels.push(result.stock);
  }
  return { ok: true, stock: levels };
}

/** Quantities summed per product, in product id order: how every multi-product move takes its rows. */
export function byProduct(items: readonly { productId: string; quantity: number }[]): [string, number][] {
  const totals = new Map<string, number>();
  for (const { productId, quantity } of items) {
    assertQuantity(quantity);
    totals.set(productId, (totals.get(productId) ?? 0) + quantity);
  }
  return [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Stock levels of several products at once (e.g. to show availability next to a cart). */
export async function stockLevels(tx: Db, productIds: readonly string[]): Promise<StockLevel[]> {
  if (productIds.length === 0) return [];
  return tx
    .select(level)
    .from(stock)
    .where(inArray(stock.productId, [...productIds]))
    .orderBy(asc(stock.productId));
}

async function failure(tx: Db, productId: string): Promise<StockResult> {
  const current = await stockRepository.find(tx, productId);
  return current
    ? { ok: false, reason: 'insufficient_stock', stock: current }
    : { ok: false, reason: 'unknown_product' };
}
