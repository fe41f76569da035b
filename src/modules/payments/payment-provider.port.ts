/**
 * A payment provider (DESIGN §7): opens checkouts, refunds, and turns its webhooks into verified
 * events. Ordo ships the `sandbox` provider; a real one (Stripe, Adyen, …) implements the same port.
 *
 * Calls are made outside database transactions where they reach a network (see the refund consumer);
 * `openCheckout` runs inside the validating transaction and must therefore be cheap and free of side
 * effects a rollback could not undo — a network provider would open its session lazily, when the
 * customer first follows the checkout URL, keyed by our payment id.
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
  providerRef: string;
  checkoutUrl: string;
}

export interface RefundRequest {
  refundId: string;
  paymentId: string;
  providerRef: string | null;
  amount: number;
  currency: string;
}

/** A webhook the provider signed, parsed: what it says happened to which payment. */
export interface ProviderEvent {
  /** The provider's event id: the dedupe key. */
  id: string;
  type: 'payment.succeeded' | 'payment.failed';
  tenant: string;
  paymentId: string;
  amount: number;
  currency: string;
  reason?: string;
}

export type WebhookCheck = { ok: true; event: ProviderEvent } | { ok: false; status: 400 | 401; reason: string };

export interface PaymentProvider {
  readonly name: string;
  openCheckout(request: CheckoutRequest): Checkout;
  /** Idempotent by `refundId`: asking twice refunds once. Returns the provider's refund reference. */
  refund(request: RefundRequest): Promise<{ providerRef: string }>;
  /** Checks signature and freshness, then parses. Never trusts the body before the signature. */
  verifyWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): WebhookCheck;
}
