import { and, asc, desc, eq, getTableColumns, gt, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../infra/database/sql-database.js';
import type { OrderStatus } from './order-states.js';
import { orderEvents, orderItems, orders } from './orders.tenant-tables.js';

export type Order = typeof orders.$inferSelect;
export type NewOrder = typeof orders.$inferInsert;
export type OrderItem = typeof orderItems.$inferSelect;
export type OrderEvent = typeof orderEvents.$inferSelect;

export interface OrderFilter {
  customerId?: string;
  status?: OrderStatus;
  from?: Date;
  to?: Date;
}

function where(filter: OrderFilter): SQL | undefined {
  const conditions: SQL[] = [];
  if (filter.customerId) conditions.push(eq(orders.customerId, filter.customerId));
  if (filter.status) conditions.push(eq(orders.status, filter.status));
  if (filter.from) conditions.push(gte(orders.createdAt, filter.from));
  if (filter.to) conditions.push(lt(orders.createdAt, filter.to));
  return conditions.length ? and(...conditions) : undefined;
}

/** Queries on a tenant's orders. Every function takes the transaction (on the tenant's database) it runs in. */
export const ordersRepository = {
  async find(tx: Db, id: string, forUpdate = false): Promise<Order | undefined> {
    const query = tx.select().from(orders).where(eq(orders.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  },

  /**
   * The order locked for update with its lines, in one statement: what a consumer about to move it
   * (validate, pay) reads first.
   */
  async findLockedWithLines(tx: Db, id: string): Promise<{ order: Order; lines: OrderItem[] } | undefined> {
    const lines = sql<OrderItem[]>`(
      select coalesce(json_agg(json_build_object(
        'orderId', i.order_id, 'line', i.line, 'productId', i.product_id, 'quantity', i.quantity,
        'name', i.name, 'unitPrice', i.unit_price, 'lineTotal', i.line_total) order by i.line), '[]'::json)
      from order_items i where i.order_id = ${orders.id})`;
    const [row] = await tx
      .select({ ...getTableColumns(orders), lines })
      .from(orders)
      .where(eq(orders.id, id))
      .for('update', { of: orders });
    if (!row) return undefined;
    const { lines: found, ...order } = row;
    return { order, lines: typeof found === 'string' ? (JSON.parse(found) as OrderItem[]) : found };
  },

  /** The order locked for update, or undefined if it does not exist or another transaction holds it. */
  async findUnlocked(tx: Db, id: string): Promise<Order | undefined> {
    const [row] = await tx.select().from(orders).where(eq(orders.id, id)).for('update', { skipLocked: true });
    return row;
  },

  /** Inserts the order unless one with its id exists (a repeated Idempotency-Key): the row when inserted. */
  async insertOnce(tx: Db, order: NewOrder): Promise<Order | undefined> {
    const [inserted] = await tx.insert(orders).values(order).onConflictDoNothing().returning();
    return inserted;
  },

  async insertItems(tx: Db, items: (typeof orderItems.$inferInsert)[]): Promise<OrderItem[]> {
    if (items.length === 0) return [];
    return tx.insert(orderItems).values(items).returning();
  },

  async items(tx: Db, orderId: string): Promise<OrderItem[]> {
    return tx.select().from(orderItems).where(eq(orderItems.orderId, orderId)).orderBy(asc(orderItems.line));
  },

  async setItemPrice(tx: Db, orderId: string, line: number, name: string, unitPrice: number, quantity: number) {
    await tx
      .update(orderItems)
      .set({ name, unitPrice, lineTotal: unitPrice * quantity })
      .where(and(eq(orderItems.orderId, orderId), eq(orderItems.line, line)));
  },

  async update(tx: Db, id: string, changes: Partial<NewOrder>): Promise<Order> {
    const [row] = await tx
      .update(orders)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(orders.id, id))
      .returning();
    return row!;
  },

  async insertEvent(tx: Db, event: typeof orderEvents.$inferInsert): Promise<void> {
    await tx.insert(orderEvents).values(event);
  },

  async events(tx: Db, orderId: string): Promise<OrderEvent[]> {
    return tx
      .select()
      .from(orderEvents)
      .where(eq(orderEvents.orderId, orderId))
      .orderBy(asc(orderEvents.at), asc(orderEvents.id));
  },

  /** Up to `limit` orders with ids after `afterId`, in id order: for walking every order in slices. */
  async slice(tx: Db, afterId: string | null, limit: number): Promise<Order[]> {
    return tx
      .select()
      .from(orders)
      .where(afterId === null ? undefined : gt(orders.id, afterId))
      .orderBy(asc(orders.id))
      .limit(limit);
  },

  /** Newest first (id, a UUID v7, breaks ties), with the total matching the filter. */
  async page(tx: Db, filter: OrderFilter, limit: number, offset: number): Promise<{ rows: Order[]; total: number }> {
    const condition = where(filter);
    const rows = await tx
      .select()
      .from(orders)
      .where(condition)
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(limit)
      .offset(offset);
    const [count] = await tx
      .select({ total: sql<number>`count(*)::int` })
      .from(orders)
      .where(condition);
    return { rows, total: Number(count?.total ?? 0) };
  },
};
