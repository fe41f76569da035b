import { z } from 'zod';
import { defineEvent } from '../../infra/bus/envelope.js';

// Payment events, emitted in the tenant's database (`tenant` set, `aggregateId` the payment id).
// They carry `{ before, after }` like order transitions, so the audit trail shows what changed.

export const PAYMENT_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED', 'EXPIRED', 'CANCELLED', 'REFUNDED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

const status = z.enum(PAYMENT_STATUSES);
const change = {
  paymentId: z.uuid(),
  orderId: z.uuid(),
  customerId: z.uuid(),
  amount: z.number().int(),
  currency: z.string(),
};

/** The provider confirmed the money was taken (webhook). The orders module turns it into PAID. */
export const PaymentSucceeded = defineEvent(
  'payment.succeeded',
  z.object({
    ...change,
    providerEventId: z.string(),
    before: z.object({ status }),
    after: z.object({ status: z.literal('SUCCEEDED') }),
  }),
);
export type PaymentSucceededPayload = z.infer<typeof PaymentSucceeded.schema>;

/** The provider declined the payment (webhook). The customer may still pay until the order expires. */
export const PaymentFailed = defineEvent(
  'payment.failed',
  z.object({
    ...change,
    providerEventId: z.string(),
    before: z.object({ status }),
    after: z.object({ status: z.literal('FAILED'), reason: z.string() }),
  }),
);
export type PaymentFailedPayload = z.infer<typeof PaymentFailed.schema>;

/** A refund was asked for (a paid order cancelled, or money taken for an order that can no longer be served). */
export const RefundRequested = defineEvent(
  'refund.requested',
  z.object({ ...change, refundId: z.uuid(), reason: z.string() }),
);
export type RefundRequestedPayload = z.infer<typeof RefundRequested.schema>;

/** The provider gave the money back: the payment is REFUNDED. */
export const PaymentRefunded = defineEvent(
  'payment.refunded',
  z.object({
    ...change,
    refundId: z.uuid(),
    before: z.object({ status }),
    after: z.object({ status: z.literal('REFUNDED'), reason: z.string() }),
  }),
);
export type PaymentRefundedPayload = z.infer<typeof PaymentRefunded.schema>;
