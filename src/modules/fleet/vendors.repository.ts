import { and, eq, ilike, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../infra/database/sql-database.js';
import { vendors } from './fleet.tables.js';
import type { VendorView } from './vendors.dto.js';

export type Vendor = typeof vendors.$inferSelect;
export type NewVendor = typeof vendors.$inferInsert;

export const vendorsRepository = {
  async find(tx: Db, id: string, lock?: 'update' | 'share'): Promise<Vendor | undefined> {
    const query = tx.select().from(vendors).where(eq(vendors.id, id));
    const [row] = lock ? await query.for(lock) : await query;
    return row;
  },

  async insert(tx: Db, vendor: NewVendor): Promise<Vendor> {
    const [created] = await tx.insert(vendors).values(vendor).returning();
    return created!;
  },

  async update(tx: Db, id: string, changes: Partial<NewVendor>): Promise<Vendor> {
    const [updated] = await tx
      .update(vendors)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(vendors.id, id))
      .returning();
    return updated!;
  },

  async delete(tx: Db, id: string): Promise<void> {
    await tx.delete(vendors).where(eq(vendors.id, id));
  },

  /** Vendors by name. */
  async page(
    tx: Db,
    filter: { status?: Vendor['status']; q?: string },
    limit: number,
    offset: number,
  ): Promise<{ rows: Vendor[]; total: number }> {
    const conditions: SQL[] = [];
    if (filter.status) conditions.push(eq(vendors.status, filter.status));
    if (filter.q) conditions.push(ilike(vendors.name, `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
    const where = and(...conditions);
    const rows = await tx
      .select()
      .from(vendors)
      .where(where)
      .orderBy(vendors.name, vendors.id)
      .limit(limit)
      .offset(offset);
    const [count] = await tx
      .select({ total: sql<number>`count(*)::int` })
      .from(vendors)
      .where(where);
    return { rows, total: Number(count?.total ?? 0) };
  },
};

export function vendorView(vendor: Vendor): VendorView {
  return {
    id: vendor.id,
    ...summarizeVendor(vendor),
    createdAt: new Date(vendor.createdAt).toISOString(),
    updatedAt: new Date(vendor.updatedAt).toISOString(),
  };
}

export function summarizeVendor(vendor: Vendor) {
  return {
    name: vendor.name,
    contactEmail: vendor.contactEmail,
    contactPhone: vendor.contactPhone,
    status: vendor.status,
  };
}
