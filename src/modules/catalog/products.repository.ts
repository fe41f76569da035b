import { and, eq, ilike, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../infra/database/sql-database.js';
import { products, stock } from './catalog.tenant-tables.js';

export type Product = typeof products.$inferSelect;
export type NewProduct = typeof products.$inferInsert;
/** A product with its stock row (every product has one, created with it). */
export type StockedProduct = Product & { onHand: number; reserved: number };

export interface ProductFilter {
  /** Only active products (what customers and drivers see). */
  activeOnly: boolean;
  /** Part of the name, any case. */
  q?: string;
  /** The category, any case. */
  category?: string;
}

const withStock = { product: products, onHand: stock.onHand, reserved: stock.reserved };

function flatten(row: { product: Product; onHand: number | null; reserved: number | null }): StockedProduct {
  return { ...row.product, onHand: row.onHand ?? 0, reserved: row.reserved ?? 0 };
}

function where(filter: ProductFilter): SQL {
  const conditions: SQL[] = [isNull(products.deletedAt)];
  if (filter.activeOnly) conditions.push(eq(products.active, true));
  if (filter.q) conditions.push(ilike(products.name, `%${escapeLike(filter.q)}%`));
  if (filter.category) conditions.push(sql`lower(${products.category}) = lower(${filter.category})`);
  return and(...conditions)!;
}

/** Queries on a tenant's products. Every function takes the transaction (on the tenant's database) it runs in. */
export const productsRepository = {
  /** A product that is not deleted, with its stock. */
  async find(tx: Db, id: string): Promise<StockedProduct | undefined> {
    const [row] = await tx
      .select(withStock)
      .from(products)
      .leftJoin(stock, eq(stock.productId, products.id))
      .where(and(eq(products.id, id), isNull(products.deletedAt)));
    return row ? flatten(row) : undefined;
  },

  /** Like find, locking the product row until the transaction ends: for read-modify-write. */
  async findForUpdate(tx: Db, id: string): Promise<Product | undefined> {
    const [row] = await tx
      .select()
      .from(products)
      .where(and(eq(products.id, id), isNull(products.deletedAt)))
      .for('update');
    return row;
  },

  /**
   * The products an order may contain, among `ids`: active and not deleted. Missing ids are unknown,
   * inactive or deleted (or another tenant's: they live in another database). For the orders module.
   */
  async findOrderable(tx: Db, ids: readonly string[]): Promise<Product[]> {
    if (ids.length === 0) return [];
    return tx
      .select()
      .from(products)
      .where(and(inArray(products.id, [...ids]), eq(products.active, true), isNull(products.deletedAt)));
  },

  async insert(tx: Db, product: NewProduct): Promise<Product> {
    const [created] = await tx.insert(products).values(product).returning();
    return created!;
  },

  async update(tx: Db, id: string, changes: Partial<NewProduct>): Promise<Product> {
    const [updated] = await tx
      .update(products)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(products.id, id))
      .returning();
    return updated!;
  },

  /** A page in name order (id breaks ties, so pages are stable), with the total matching the filter. */
  async page(
    tx: Db,
    filter: ProductFilter,
    limit: number,
    offset: number,
  ): Promise<{ rows: StockedProduct[]; total: number }> {
    const condition = where(filter);
    const rows = await tx
      .select(withStock)
      .from(products)
      .leftJoin(stock, eq(stock.productId, products.id))
      .where(condition)
      .orderBy(products.name, products.id)
      .limit(limit)
      .offset(offset);
    const [count] = await tx
      .select({ total: sql<number>`count(*)::int` })
      .from(products)
      .where(condition);
    return { rows: rows.map(flatten), total: Number(count?.total ?? 0) };
  },
};

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
