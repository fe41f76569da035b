import { z } from 'zod';
import { defineEvent } from '../../infra/bus/envelope.js';

// Catalog events, emitted in the tenant's database with `tenant` set and `aggregateId` the product id.
// Changes carry `{ before, after }`: exactly what the audit trail stores.

export const productSummary = z.object({
  sku: z.string().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  category: z.string().nullable(),
  price: z.number().int(),
  currency: z.string(),
  active: z.boolean(),
});
export type ProductSummary = z.infer<typeof productSummary>;

const level = z.object({ onHand: z.number().int(), reserved: z.number().int() });

export const ProductCreated = defineEvent(
  'product.created',
  z.object({ productId: z.uuid(), after: productSummary.extend({ onHand: z.number().int() }) }),
);
export const ProductUpdated = defineEvent(
  'product.updated',
  z.object({ productId: z.uuid(), before: productSummary, after: productSummary }),
);
/** Soft: the product leaves every view; its row stays for order history. */
export const ProductDeleted = defineEvent('product.deleted', z.object({ productId: z.uuid(), before: productSummary }));

/** A staff adjustment of `on_hand`; `after.reason` says why (stock count, delivery, breakage…). */
export const StockAdjusted = defineEvent(
  'stock.adjusted',
  z.object({
    productId: z.uuid(),
    before: level,
    after: level.extend({ reason: z.string() }),
  }),
);
