import { z } from 'zod';
import { paginationQuery, pageMetaSchema } from '../../common/http/pagination.js';
import { checkoutViewSchema } from '../payments/payments.dto.js';
import { ORDER_STATUSES } from './order-states.js';

const point = {
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
};

export const placeOrderBody = z
  .strictObject({
    items: z
      .array(
        z.strictObject({
          productId: z.uuid(),
          quantity: z.number().int().min(1).max(1000),
        }),
      )
      .min(1)
      .max(100)
      .superRefine((items, context) => {
        const seen = new Set<string>();
        items.forEach((item, index) => {
          if (seen.has(item.productId))
            context.addIssue({ code: 'custom', path: [index, 'productId'], message: 'listed twice' });
          seen.add(item.productId);
        });
      }),
    addressId: z.uuid().optional().describe('One of your saved addresses (GET /api/me/addresses)'),
    dropoff: z
      .strictObject({ ...point, address: z.string().trim().min(1).max(500) })
      .optional()
      .describe('Where to deliver, when not a saved address'),
    note: z.string().trim().max(500).optional(),
  })
  .superRefine((body, context) => {
    if ((body.addressId === undefined) === (body.dropoff === undefined)) {
      context.addIssue({
        code: 'custom',
        path: [body.addressId === undefined ? 'addressId' : 'dropoff'],
        message: 'give exactly one of addressId and dropoff',
      });
    }
  });
export type PlaceOrderBody = z.infer<typeof placeOrderBody>;

export const deliverOrderBody = z.strictObject({
  note: z.string().trim().min(1).max(500).optional().describe('Proof of delivery: where it was left, who took it'),
});
export type DeliverOrderBody = z.infer<typeof deliverOrderBody>;

export const cancelOrderBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export type CancelOrderBody = z.infer<typeof cancelOrderBody>;

export const listOrdersQuery = paginationQuery.extend({
  status: z.enum(ORDER_STATUSES).optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('Created at or after (ISO 8601)'),
  to: z.iso.datetime({ offset: true }).optional().describe('Created before (ISO 8601)'),
});
export type ListOrdersQuery = z.infer<typeof listOrdersQuery>;

export const orderItemSchema = z
  .object({
    productId: z.uuid(),
    quantity: z.number().int(),
    name: z.string().nullable().describe('Snapshot at validation; null while PENDING'),
    unitPrice: z.number().int().nullable(),
    lineTotal: z.number().int().nullable(),
  })
  .meta({ id: 'OrderItem' });

export const orderViewSchema = z
  .object({
    id: z.uuid(),
    tenant: z.string(),
    kind: z.enum(['DELIVERY', 'RIDE']),
    customerId: z.uuid(),
    status: z.enum(ORDER_STATUSES),
    currency: z.string(),
    subtotal: z.number().int().nullable().describe('Minor units of the currency; null until validated'),
    deliveryFee: z.number().int().nullable(),
    total: z.number().int().nullable(),
    dropoff: z.object({ ...point, address: z.string() }),
    note: z.string().nullable(),
    pickup: z
      .object({ ...point, address: z.string() })
      .nullable()
      .describe('Where the trip starts; null until validated'),
    driver: z
      .object({
        name: z.string(),
        vehicle: z.object({ plate: z.string(), model: z.string(), class: z.string() }),
      })
      .nullable()
      .describe('The assigned driver, once there is one'),
    proofNote: z.string().nullable().describe("The driver's note at delivery"),
    rejectionReason: z.string().nullable(),
    cancelReason: z.string().nullable(),
    items: z.array(orderItemSchema),
    eta: z
      .object({
        minutes: z.number().int().describe('Rough: straight-line distance at city speed'),
        basedOn: z.string().describe("Time of the driver's position it was computed from"),
      })
      .nullable()
      .describe('While a driver is on the way'),
    payment: checkoutViewSchema
      .nullable()
      .describe('The newest checkout: where to pay while AWAITING_PAYMENT; null before validation'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Order' });
export type OrderView = z.infer<typeof orderViewSchema>;

export const orderSummarySchema = orderViewSchema
  .omit({ items: true, payment: true, eta: true })
  .meta({ id: 'OrderSummary' });
export type OrderEta = NonNullable<OrderView['eta']>;
export type OrderSummary = z.infer<typeof orderSummarySchema>;

export const orderPageSchema = z.object({
  data: z.array(orderSummarySchema),
  meta: pageMetaSchema,
});

export const orderEventSchema = z
  .object({
    id: z.uuid(),
    from: z.enum(ORDER_STATUSES).nullable(),
    to: z.enum(ORDER_STATUSES),
    actor: z.object({ id: z.string().nullable(), role: z.string() }),
    reason: z.string().nullable(),
    at: z.string(),
  })
  .meta({ id: 'OrderEvent' });
export const orderEventsSchema = z.object({ data: z.array(orderEventSchema) });
