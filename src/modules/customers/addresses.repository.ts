import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../infra/database/sql-database.js';
import type { AddressView } from './customers.dto.js';
import { customerAddresses } from './customers.tables.js';

export type Address = typeof customerAddresses.$inferSelect;
export type NewAddress = typeof customerAddresses.$inferInsert;

/** Queries on saved addresses. Every lookup is by owner and id: another user's address is simply not found. */
export const addressesRepository = {
  async find(tx: Db, userId: string, id: string, forUpdate = false): Promise<Address | undefined> {
    const query = tx
      .select()
      .from(customerAddresses)
      .where(and(eq(customerAddresses.userId, userId), eq(customerAddresses.id, id)));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  },

  async insert(tx: Db, address: NewAddress): Promise<Address> {
    const [created] = await tx.insert(customerAddresses).values(address).returning();
    return created!;
  },

  async update(tx: Db, id: string, changes: Partial<NewAddress>): Promise<Address> {
    const [updated] = await tx
      .update(customerAddresses)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(customerAddresses.id, id))
      .returning();
    return updated!;
  },

  async delete(tx: Db, id: string): Promise<void> {
    await tx.delete(customerAddresses).where(eq(customerAddresses.id, id));
  },

  /** A user's addresses, oldest first. */
  async page(tx: Db, userId: string, limit: number, offset: number): Promise<{ rows: Address[]; total: number }> {
    const mine = eq(customerAddresses.userId, userId);
    const rows = await tx
      .select()
      .from(customerAddresses)
      .where(mine)
      .orderBy(customerAddresses.createdAt, customerAddresses.id)
      .limit(limit)
      .offset(offset);
    const [count] = await tx
      .select({ total: sql<number>`count(*)::int` })
      .from(customerAddresses)
      .where(mine);
    return { rows, total: Number(count?.total ?? 0) };
  },
};

export function addressView(address: Address): AddressView {
  return {
    id: address.id,
    label: address.label,
    address: address.address,
    lat: address.lat,
    lng: address.lng,
    notes: address.notes,
    createdAt: new Date(address.createdAt).toISOString(),
    updatedAt: new Date(address.updatedAt).toISOString(),
  };
}

export function summarize(address: Address) {
  return {
    userId: address.userId,
    label: address.label,
    address: address.address,
    lat: address.lat,
    lng: address.lng,
    notes: address.notes,
  };
}
