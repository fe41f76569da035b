import { z } from 'zod';
import { paginationQuery, pageMetaSchema } from '../../common/http/pagination.js';
import { INT4_MAX } from '../../common/int4.js';

const name = z.string().trim().min(1).max(200);
const description = z.string().trim().max(5000);
const category = z.string().trim().min(1).max(100);
const sku = z.string().trim().min(1).max(64);
const price = z
  .number()
  .int('must be a whole number of minor units (cents)')
  .min(0)
  .max(INT4_MAX)
  .describe("Minor units of the tenant's currency, e.g. 1250 for 12.50 EUR");
const units = z.number().int().min(0).max(INT4_MAX);

export const createProductBody = z.strictObject({
  name,
  description: description.optional(),
  category: category.optional(),
  sku: sku.optional().describe('Unique within the tenant'),
  price,
  active: z.boolean().optional().describe('Default true; inactive products are hidden from customers'),
  initialStock: units.optional().describe('Units on hand to start with (default 0)'),
});
export type CreateProductBody = z.infer<typeof createProductBody>;

export const updateProductBody = z.strictObject({
  name: name.optional(),
  description: description.nullable().optional().describe('null removes it'),
  category: category.nullable().optional().describe('null removes it'),
  sku: sku.nullable().optional().describe('null removes it'),
  price: price.optional(),
  active: z.boolean().optional(),
});
export type UpdateProductBody = z.infer<typeof updateProductBody>;

export const listProductsQuery = paginationQuery.extend({
  q: z.string().trim().min(1).max(100).optional().describe('Part of the name, any case'),
  category: category.optional().describe('Exact category, any case'),
});
export type ListProductsQuery = z.infer<typeof listProductsQuery>;

export const adjustStockBody = z
  .strictObject({
    onHand: units.optional().describe('The counted units on hand (set)'),
    delta: z.number().int().min(-INT4_MAX).max(INT4_MAX).optional().describe('Units received (+) or lost (−)'),
    reason: z.string().trim().min(1).max(500).describe('Why: recorded in the audit trail'),
  })
  .refine((body) => (body.onHand === undefined) !== (body.delta === undefined), {
    message: 'give exactly one of onHand and delta',
    path: ['onHand'],
  });
export type AdjustStockBody = z.infer<typeof adjustStockBody>;

export const productViewSchema = z
  .object({
    id: z.uuid(),
    sku: z.string().nullable(),
    name: z.string(),
    description: z.string().nullable(),
    category: z.string().nullable(),
    price: z.number().int(),
    currency: z.string().describe('ISO 4217; price is in its minor units'),
    active: z.boolean(),
    stock: z.object({
      available: z.number().int().describe('Units that can still be ordered: onHand − reserved'),
      inStock: z.boolean(),
      onHand: z.number().int().optional().describe('Staff (MERCHANT, ADMIN) only'),
      reserved: z.number().int().optional().describe('Staff only: units promised to orders awaiting payment'),
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Product' });
export type ProductView = z.infer<typeof productViewSchema>;

export const productPageSchema = z.object({
  data: z.array(productViewSchema),
  meta: pageMetaSchema,
});

export const stockViewSchema = z
  .object({
    productId: z.uuid(),
    onHand: z.number().int(),
    reserved: z.number().int(),
    available: z.number().int(),
  })
  .meta({ id: 'Stock' });
export type StockView = z.infer<typeof stockViewSchema>;
