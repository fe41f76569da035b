import { z } from 'zod';
import { PAYMENT_STATUSES } from './payments.events.js';
import { REFUND_STATUSES } from './payments.tenant-tables.js';
import type { Payment, PaymentEvent, Refund } from './payments.repository.js';
import { SANDBOX } from './sandbox/sandbox-provider.js';

const iso = (value: Date | string) => new Date(value).toISOString();

/** The checkout of an order awaiting payment, as order views show it. */
export const checkoutViewSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(PAYMENT_STATUSES),
    checkoutUrl: z.string().describe('Where the customer pays (the sandbox serves it at /pay/<token>)'),
    expiresAt: z.string().describe('After this the order expires unless paid'),
    sandbox: z
      .boolean()
      .describe('Made with the sandbox provider: no money moves, Pay always succeeds. Never ship goods for it.'),
  })
  .meta({ id: 'Checkout' });
export type CheckoutView = z.infer<typeof checkoutViewSchema>;

const paymentEventSchema = z
  .object({
    type: z.string().describe('payment.created, payment.succeeded, payment.failed, refund.requested, …'),
    providerEventId: z.string().nullable().describe("The provider's event id; null for events Ordo records itself"),
    amount: z.number().int().nullable(),
    currency: z.string().nullable(),
    outcome: z.string().describe('`applied`, or `ignored: <why>` (e.g. a late `failed` after `succeeded`)'),
    at: z.string(),
  })
  .meta({ id: 'PaymentEvent' });

const refundSchema = z
  .object({
    id: z.uuid(),
    amount: z.number().int(),
    currency: z.string(),
    reason: z.string(),
    status: z.enum(REFUND_STATUSES),
    providerRef: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .meta({ id: 'Refund' });

const paymentSchema = checkoutViewSchema
  .extend({
    provider: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    failureReason: z.string().nullable(),
    createdAt: z.string(),
    events: z.array(paymentEventSchema),
    refunds: z.array(refundSchema),
  })
  .meta({ id: 'Payment' });

export const paymentHistorySchema = z.object({ data: z.array(paymentSchema) });
export type PaymentHistory = z.infer<typeof paymentHistorySchema>;

export const webhookReceiptSchema = z
  .object({
    received: z.literal(true),
    duplicate: z.boolean().describe('This event id was received before; nothing was done again'),
    outcome: z.string().describe('`applied` (or `applied: <what>`), `duplicate`, or `ignored: <why>`'),
  })
  .meta({ id: 'WebhookReceipt' });
export type WebhookReceipt = z.infer<typeof webhookReceiptSchema>;

export function checkoutView(payment: Payment): CheckoutView {
  return {
    id: payment.id,
    status: payment.status as CheckoutView['status'],
    checkoutUrl: payment.checkoutUrl,
    expiresAt: iso(payment.expiresAt),
    sandbox: payment.provider === SANDBOX,
  };
}

export function paymentHistoryView(
  payment: Payment,
  events: PaymentEvent[],
  refunds: Refund[],
): PaymentHistory['data'][number] {
  return {
    ...checkoutView(payment),
    provider: payment.provider,
    amount: payment.amount,
    currency: payment.currency,
    failureReason: payment.failureReason,
    createdAt: iso(payment.createdAt),
    events: events
      .filter((event) => event.paymentId === payment.id)
      .map((event) => ({
        type: event.type,
        providerEventId: event.providerEventId,
        amount: event.amount,
        currency: event.currency,
        outcome: event.outcome,
        at: iso(event.at),
      })),
    refunds: refunds
      .filter((refund) => refund.paymentId === payment.id)
      .map((refund) => ({
        id: refund.id,
        amount: refund.amount,
        currency: refund.currency,
        reason: refund.reason,
        status: refund.status as (typeof REFUND_STATUSES)[number],
        providerRef: refund.providerRef,
        createdAt: iso(refund.createdAt),
        completedAt: refund.completedAt ? iso(refund.completedAt) : null,
      })),
  };
}
