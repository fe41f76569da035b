/**
 * A payment provider (DESIGN §7): opens checkouts, refunds, and turns its webhooks into verified
 * events. Ordo ships the built-in `sandbox` provider and `stripe` (stripe/); another (Adyen, …)
 * implements the same port.
 *
 * Calls are made outside database transactions where they reach a network (see the refund consumer);
 * `openCheckout` runs inside the validating transaction and must therefore be cheap and free of side
 * effects a rollback could not undo — a network provider opens its session lazily, when the customer
 * first follows the checkout URL, keyed by our payment id (as Stripe does, stripe/stripe-checkout.controller.ts).
 */
export const PAYMENT_PROVIDER = Symbol('PAYMENT_PROVIDER');

export interface CheckoutRequest {
  paymentId: string;
  tenant: string;
  orderId: string;
  amount: number;
  currency: string;
}

export interface Checkout {
  /** The provider's id for the checkout, when it has one already (a lazily opened one has none yet). */
  providerRef: string | null;
  checkoutUrl: string;
}

export interface RefundRequest {
  refundId: string;
  paymentId: string;
  providerRef: string | null;
  amount: number;
  currency: string;
}

/**
 * What a provider's webhook can say happened to a payment: the money was taken, the attempt failed,
 * the provider's checkout expired (it can no longer be paid), or the whole payment was given back.
 */
export type ProviderEventType = 'payment.succeeded' | 'payment.failed' | 'checkout.expired' | 'payment.refunded';

/** A webhook the provider signed, parsed: what it says happened to which payment. */
export interface ProviderEvent {
  /** The provider's event id: the dedupe key. */
  id: string;
  type: ProviderEventType;
  tenant: string;
  paymentId: string;
  amount: number;
  currency: string;
  reason?: string;
  /** For `payment.refunded`: the provider's reference of what was refunded. */
  providerRef?: string;
}

/**
 * A verified webhook: an event about one of our payments, one that concerns Ordo in nothing (another
 * event type, another integration's payment — acknowledged, so the provider stops resending it), or
 * refused before anything is trusted.
 */
export type WebhookCheck =
  | { ok: true; event: ProviderEvent }
  | { ok: true; event: null; ignored: string }
  | { ok: false; status: 400 | 401; reason: string };

export interface PaymentProvider {
  readonly name: string;
  openCheckout(request: CheckoutRequest): Checkout;
  /** Idempotent by `refundId`: asking twice refunds once. Returns the provider's refund reference. */
  refund(request: RefundRequest): Promise<{ providerRef: string }>;
  /** Checks signature and freshness, then parses. Never trusts the body before the signature. */
  verifyWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): WebhookCheck;
}
