import type { SqlDatabase } from '../../infra/database/sql-database.js';
import type { TenantDatabases } from '../../infra/database/tenant-databases.port.js';
import { customerOrderRow, customerOrdersRepository } from './customer-orders.repository.js';
import { orderSnapshotOf } from './order-view.js';
import { ordersRepository } from './orders.repository.js';

/** Orders read from a tenant database and written to the control database per round trip. */
const SLICE = 500;

export interface BackfillResult {
  tenant: string;
  orders: number;
}

/**
 * Copies every order of every provisioned tenant database into the `customer_orders` read model: for
 * orders placed before the model existed (their events are long consumed), or to rebuild it. It writes
 * through the same order-safe upsert as the consumer, so it can run while Ordo runs: a row the consumer
 * already moved further along is left alone, and an event arriving after the copy still moves it on.
 * Idempotent; each slice of `SLICE` orders is one read of the tenant and one write of the control database.
 */
export async function backfillCustomerOrders(
  control: SqlDatabase,
  tenants: TenantDatabases,
  onTenant: (result: BackfillResult) => void = () => undefined,
): Promise<BackfillResult[]> {
  const results: BackfillResult[] = [];
  for (const { code } of await tenants.list()) {
    const db = await tenants.forTenant(code);
    let copied = 0;
    for (let afterId: string | null = null; ;) {
      const orders = await db.read((tx) => ordersRepository.slice(tx, afterId, SLICE));
      if (orders.length === 0) break;
      const rows = orders.map((order) =>
        customerOrderRow({ tenant: code, orderId: order.id, customerId: order.customerId }, orderSnapshotOf(order)),
      );
      await control.transaction((tx) => customerOrdersRepository.upsert(tx, rows));
      copied += orders.length;
      afterId = orders.at(-1)!.id;
    }
    const result = { tenant: code, orders: copied };
    results.push(result);
    onTenant(result);
  }
  return results;
}
