import { and, desc, eq, getTableColumns, lte, notInArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../infra/database/sql-database.js';
import { orderProgress } from './order-progress.js';
import type { OrderStatus } from './order-states.js';
import type { OrderSnapshot } from './orders.events.js';
import { customerOrders } from './customer-orders.tables.js';

export type CustomerOrder = typeof customerOrders.$inferSelect;
export type NewCustomerOrder = typeof customerOrders.$inferInsert;

/** Which order a snapshot is of: what the envelope and payload say beside the snapshot itself. */
export interface OrderKey {
  tenant: string;
  orderId: string;
  customerId: string;
}

/** What an event without a snapshot says about its order. */
export interface StatusChange {
  status: OrderStatus;
  total?: number | null;
  currency?: string;
  /** When the event happened: the row's `updated_at`. */
  at: Date;
}

/** The read model's row for an order as a snapshot shows it. */
export function customerOrderRow(key: OrderKey, order: OrderSnapshot): NewCustomerOrder {
  return {
    ...key,
    kind: order.kind,
    status: order.status,
    progress: orderProgress(order.status),
    currency: order.currency,
    subtotal: order.subtotal,
    deliveryFee: order.deliveryFee,
    total: order.total,
    dropoffLat: order.dropoff.lat,
    dropoffLng: order.dropoff.lng,
    dropoffAddress: order.dropoff.address,
    note: order.note,
    pickupLat: order.pickup?.lat ?? null,
    pickupLng: order.pickup?.lng ?? null,
    pickupAddress: order.pickup?.address ?? null,
    driverName: order.driver?.name ?? null,
    vehiclePlate: order.driver?.vehicle.plate ?? null,
    vehicleModel: order.driver?.vehicle.model ?? null,
    vehicleClass: order.driver?.vehicle.class ?? null,
    proofNote: order.proofNote,
    rejectionReason: order.rejectionReason,
    cancelReason: order.cancelReason,
    createdAt: new Date(order.createdAt),
    updatedAt: new Date(order.updatedAt),
  };
}

/** Every column an upsert replaces: all but the key (tenant, order) and who placed it, which never change. */
const replaced = Object.fromEntries(
  Object.entries(getTableColumns(customerOrders))
    .filter(([key]) => !['tenant', 'orderId', 'customerId'].includes(key))
    .map(([key, column]) => [key, sql.raw(`excluded.${column.name}`)]),
);

/** Queries on the customer-orders read model (control database). Every function takes its transaction. */
export const customerOrdersRepository = {
  /**
   * Inserts each order's row, or replaces it unless the row is further along than the snapshot (a late
   * or redelivered event): applying snapshots of one order in any order, any number of times, leaves
   * the newest. Same progress means the same status, which an order reaches once, so replacing then is
   * harmless (and completes a row that `advance` wrote).
   */
  async upsert(tx: Db, rows: NewCustomerOrder[]): Promise<void> {
    if (rows.length === 0) return;
    await tx
      .insert(customerOrders)
      .values(rows)
      .onConflictDoUpdate({
        target: [customerOrders.tenant, customerOrders.orderId],
        set: replaced,
        setWhere: lte(customerOrders.progress, sql`excluded.progress`),
      });
  },

  /**
   * Moves an existing row to a status, for events that carry no snapshot (written before events did):
   * only the status and what the event says; an order this model never saw stays unknown until the
   * backfill (`npm run orders:backfill`) copies it.
   */
  async advance(tx: Db, key: Omit<OrderKey, 'customerId'>, change: StatusChange): Promise<void> {
    const progress = orderProgress(change.status);
    await tx
      .update(customerOrders)
      .set({
        status: change.status,
        progress,
        ...(change.total !== undefined ? { total: change.total } : {}),
        ...(change.currency !== undefined ? { currency: change.currency } : {}),
        updatedAt: change.at,
      })
      .where(
        and(
          eq(customerOrders.tenant, key.tenant),
          eq(customerOrders.orderId, key.orderId),
          sql`${customerOrders.progress} < ${progress}`,
        ),
      );
  },

  /**
   * One customer's orders, newest first (id breaks ties), leaving out tenants in `hiddenTenants`, with
   * the total of the same filter. Served by `customer_orders_page_idx`.
   */
  async page(
    tx: Db,
    customerId: string,
    hiddenTenants: string[],
    limit: number,
    offset: number,
  ): Promise<{ rows: CustomerOrder[]; total: number }> {
    const conditions: SQL[] = [eq(customerOrders.customerId, customerId)];
    if (hiddenTenants.length > 0) conditions.push(notInArray(customerOrders.tenant, hiddenTenants));
    const mine = and(...conditions);
    // The page and the total in one statement, so they agree even while the projector writes (two
    // statements see two snapshots under READ COMMITTED, transaction or not). Past the last page the
    // window has no row to ride on, so the total is counted on its own.
    const found = await tx
      .select({ ...getTableColumns(customerOrders), matching: sql<number>`count(*) over ()` })
      .from(customerOrders)
      .where(mine)
      .orderBy(desc(customerOrders.createdAt), desc(customerOrders.orderId))
      .limit(limit)
      .offset(offset);
    if (found.length > 0) {
      const rows = found.map(({ matching: _matching, ...row }) => row);
      return { rows, total: Number(found[0]!.matching) };
    }
    if (offset === 0) return { rows: [], total: 0 };
    const [count] = await tx
      .select({ total: sql<number>`count(*)::int` })
      .from(customerOrders)
      .where(mine);
    return { rows: [], total: Number(count?.total ?? 0) };
  },
};
