// A tenant's catalog, in the tenant's own database: products and their stock.
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const products = pgTable(
  'products',
  {
    id: uuid('id').primaryKey(),
    /** The merchant's own article number; unique within the tenant when given. */
    sku: text('sku'),
    name: text('name').notNull(),
    description: text('description'),
    category: text('category'),
    /** Minor units of the tenant's currency (cents for EUR). */
    price: integer('price').notNull(),
    /** Inactive products are hidden from customers and cannot be ordered; staff still see them. */
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * Deleted products are gone from every view but the row stays: order items (price snapshots)
     * and the audit trail keep pointing at it.
     */
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('products_sku_idx').on(table.sku),
    index('products_category_idx').on(sql`lower(${table.category})`),
    index('products_name_idx').on(table.name, table.id),
    check('products_price_check', sql`${table.price} >= 0`),
  ],
);

/**
 * One row per product. `reserved` units are promised to orders awaiting payment; `on_hand - reserved`
 * can still be sold. The checks are the last line of defence: the conditional updates in
 * stock.repository.ts never let a statement reach them.
 */
export const stock = pgTable(
  'stock',
  {
    productId: uuid('product_id')
      .primaryKey()
      .references(() => products.id, { onDelete: 'cascade' }),
    onHand: integer('on_hand').notNull().default(0),
    reserved: integer('reserved').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('stock_on_hand_check', sql`${table.onHand} >= 0`),
    check('stock_reserved_check', sql`${table.reserved} >= 0`),
    check('stock_reserved_le_on_hand_check', sql`${table.reserved} <= ${table.onHand}`),
  ],
);
