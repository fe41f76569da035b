import type Stripe from 'stripe';
import { z } from 'zod';
import type { ProviderEvent, ProviderEventType, WebhookCheck } from '../payment-provider.port.js';

/**
 * The metadata Ordo puts on every Checkout Session and its PaymentIntent (Stripe copies the
 * PaymentIntent's onto its charges): how a webhook names the tenant and payment it is about.
 */
export const ORDO_METADATA = { tenant: 'ordo_tenant', payment: 'ordo_payment', order: 'ordo_order' } as const;

const ordoMetadata = z.object({
  [ORDO_METADATA.tenant]: z.string().regex(/^[a-z][a-z0-9_]{2,30}$/),
  [ORDO_METADATA.payment]: z.uuid(),
});

/** The envelope of a Stripe event (for the API docs: the SDK checks and parses the real thing). */
export const stripeWebhookBody = z.looseObject({
  id: z.string().describe('evt_…: the dedupe key'),
  object: z.literal('event'),
  type: z.string().describe('e.g. checkout.session.completed'),
  created: z.number().int(),
  data: z.looseObject({ object: z.looseObject({}) }),
});

const ignored = (why: string): WebhookCheck => ({ ok: true, event: null, ignored: why });

/**
 * A verified Stripe event, as what it means for a payment:
 *
 * | Stripe event                                                          | Ordo                                    |
 * |-----------------------------------------------------------------------|-----------------------------------------|
 * | `checkout.session.completed` (paid), `…async_payment_succeeded`       | `payment.succeeded`                     |
 * | `payment_intent.payment_failed`, `checkout.session.async_payment_failed` | `payment.failed` (the customer may retry) |
 * | `checkout.session.expired`                                            | `checkout.expired` (the order expires)  |
 * | `charge.refunded`, fully refunded                                     | `payment.refunded`                      |
 *
 * A completed session still processing a delayed payment method, a partial refund (Ordo refunds whole
 * payments), any other type, and objects without Ordo's metadata are acknowledged and ignored.
 */
export function fromStripeEvent(event: Stripe.Event): WebhookCheck {
  const handler = handlers[event.type] as ((event: Stripe.Event) => WebhookCheck) | undefined;
  return handler ? handler(event) : ignored(`${event.type} is not an event Ordo acts on`);
}

type Handlers = { [T in Stripe.Event.Type]?: (event: Extract<Stripe.Event, { type: T }>) => WebhookCheck };

const succeeded = (event: Stripe.CheckoutSessionCompletedEvent | Stripe.CheckoutSessionAsyncPaymentSucceededEvent) => {
  const session = event.data.object;
  if (session.payment_status === 'unpaid') return ignored('the payment is still processing');
  return about(event, session.metadata, 'payment.succeeded', session.amount_total, session.currency);
};

const handlers: Handlers = {
  'checkout.session.completed': succeeded,
  'checkout.session.async_payment_succeeded': succeeded,
  'checkout.session.async_payment_failed': (event) => {
    const session = event.data.object;
    return about(event, session.metadata, 'payment.failed', session.amount_total, session.currency, {
      reason: 'the payment method failed',
    });
  },
  'checkout.session.expired': (event) => {
    const session = event.data.object;
    return about(event, session.metadata, 'checkout.expired', session.amount_total, session.currency);
  },
  'payment_intent.payment_failed': (event) => {
    const intent = event.data.object;
    return about(event, intent.metadata, 'payment.failed', intent.amount, intent.currency, {
      reason: intent.last_payment_error?.message ?? 'declined',
    });
  },
  'charge.refunded': (event) => {
    const charge = event.data.object;
    if (!charge.refunded) return ignored('a partial refund: Ordo refunds whole payments');
    return about(event, charge.metadata, 'payment.refunded', charge.amount, charge.currency, {
      providerRef: charge.id,
    });
  },
};

function about(
  event: Stripe.Event,
  metadata: Stripe.Metadata | null,
  type: ProviderEventType,
  amount: number | null,
  currency: string | null,
  extra: Pick<ProviderEvent, 'reason' | 'providerRef'> = {},
): WebhookCheck {
  const ours = ordoMetadata.safeParse(metadata ?? {});
  if (!ours.success) return ignored('not an Ordo payment (no ordo_ metadata)');
  return {
    ok: true,
    event: {
      id: event.id,
      type,
      tenant: ours.data[ORDO_METADATA.tenant],
      paymentId: ours.data[ORDO_METADATA.payment],
      // A missing amount cannot match the payment: the money check refuses it.
      amount: amount ?? -1,
      currency: (currency ?? '').toUpperCase(),
      ...extra,
    },
  };
}
