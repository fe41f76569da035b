import { createHmac, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { ENV } from '../../../config/config.module.js';
import type { Env } from '../../../config/env.schema.js';
import { CheckoutTokens, publicUrl, type CheckoutTarget } from '../checkout-tokens.js';
import type {
  Checkout,
  CheckoutRequest,
  PaymentProvider,
  RefundRequest,
  WebhookCheck,
} from '../payment-provider.port.js';
import { fromStripeEvent, ORDO_METADATA } from './stripe-events.js';

export const STRIPE = 'stripe';

/** Stripe's own default: a signed webhook older (or newer) than this is refused, so it cannot be replayed later. */
const WEBHOOK_TOLERANCE_SECONDS = 300;

/** What opening a Checkout Session needs to know of the payment. */
export interface SessionRequest {
  tenant: string;
  merchant: string;
  paymentId: string;
  orderId: string;
  amount: number;
  currency: string;
}

/** A Checkout Session, as far as Ordo cares: its id, and where to send the customer while it is open. */
export interface HostedSession {
  providerRef: string;
  /** Null once the session is complete or expired. */
  url: string | null;
}

/**
 * Stripe through the official SDK (DESIGN §7). The order's checkout link is Ordo's own
 * (`/pay/stripe/<token>`): `openCheckout` runs in the validating transaction, which holds the order's
 * stock, so it makes no network call. The Checkout Session is opened when the customer first follows
 * the link (stripe-checkout.controller.ts), with the payment id as idempotency key, and its id kept as
 * the payment's provider reference; following the link again goes to the same session.
 *
 * Webhooks are verified by the SDK over the raw body (signature, 5 minutes tolerance) and mapped by
 * stripe-events.ts. Refunds go through the SDK with the refund id as idempotency key.
 */
/**
 * The key of Ordo's checkout links under Stripe: from the Stripe secret key, which every process shares
 * and which is as secret as what the links guard — never from the JWT secret (one leaked key must not
 * forge another's messages). Without Stripe configured the adapter is closed: a random key.
 */
function checkoutLinkKey(env: Env): string {
  if (!env.STRIPE_SECRET_KEY) return randomBytes(32).toString('hex');
  return createHmac('sha256', env.STRIPE_SECRET_KEY).update('ordo:checkout-links').digest('hex');
}

@Injectable()
export class StripeProvider implements PaymentProvider {
  readonly name = STRIPE;
  private readonly tokens: CheckoutTokens;
  private readonly publicUrl: string;
  private client?: Stripe;

  constructor(@Inject(ENV) private readonly env: Env) {
    this.tokens = new CheckoutTokens(checkoutLinkKey(env));
    this.publicUrl = publicUrl(env);
  }

  openCheckout(request: CheckoutRequest): Checkout {
    return { providerRef: null, checkoutUrl: this.checkoutLink(request) };
  }

  /** The payment a checkout link's token names, or undefined if the token was not made here. */
  checkoutTarget(token: string): CheckoutTarget | undefined {
    return this.tokens.target(token);
  }

  /**
   * Opens the payment's Checkout Session. The same payment id gives the same session (Stripe keeps
   * idempotency keys 24 hours; the caller keeps the session id for longer), so two customers' clicks
   * racing, or a retry after a timeout, never open two sessions that could both be paid.
   */
  async openSession(request: SessionRequest): Promise<HostedSession> {
    const link = this.checkoutLink(request);
    const metadata = {
      [ORDO_METADATA.tenant]: request.tenant,
      [ORDO_METADATA.payment]: request.paymentId,
      [ORDO_METADATA.order]: request.orderId,
    };
    const session = await this.stripe.checkout.sessions.create(
      {
        mode: 'payment',
        client_reference_id: request.paymentId,
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: request.currency.toLowerCase(),
              unit_amount: request.amount,
              product_data: { name: `${request.merchant} — order ${request.orderId}` },
            },
          },
        ],
        metadata,
        // On the PaymentIntent too: failed attempts and refunds (its charges) name the payment.
        payment_intent_data: { metadata },
        success_url: `${link}/return`,
        cancel_url: `${link}/return`,
      },
      { idempotencyKey: `ordo-checkout-${request.paymentId}` },
    );
    return hosted(session);
  }

  async session(providerRef: string): Promise<HostedSession> {
    return hosted(await this.stripe.checkout.sessions.retrieve(providerRef));
  }

  async refund(request: RefundRequest): Promise<{ providerRef: string }> {
    if (!request.providerRef) throw new Error(`Payment ${request.paymentId} has no Checkout Session to refund`);
    const session = await this.stripe.checkout.sessions.retrieve(request.providerRef);
    const intent = typeof session.payment_intent === 'string' ? session.payment_intent : session.payment_intent?.id;
    if (!intent) throw new Error(`Checkout Session ${session.id} has no PaymentIntent to refund`);
    const refund = await this.stripe.refunds.create(
      {
        payment_intent: intent,
        amount: request.amount,
        metadata: { [ORDO_METADATA.payment]: request.paymentId, ordo_refund: request.refundId },
      },
      { idempotencyKey: `ordo-refund-${request.refundId}` },
    );
    // `pending` completes on Stripe's side; a failed or cancelled one goes through the retry tiers to the dead letters.
    if (refund.status === 'failed' || refund.status === 'canceled') {
      throw new Error(`Stripe refund ${refund.id} is ${refund.status}`);
    }
    return { providerRef: refund.id };
  }

  verifyWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): WebhookCheck {
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(
        rawBody,
        headers['stripe-signature'] ?? '',
        this.env.STRIPE_WEBHOOK_SECRET ?? '',
        WEBHOOK_TOLERANCE_SECONDS,
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return error instanceof Stripe.errors.StripeSignatureVerificationError
        ? { ok: false, status: 401, reason }
        : { ok: false, status: 400, reason: `the body is not a Stripe event: ${reason}` };
    }
    return fromStripeEvent(event);
  }

  private checkoutLink(target: CheckoutTarget): string {
    return `${this.publicUrl}/pay/stripe/${this.tokens.token(target)}`;
  }

  /** Built on first use: an Ordo on the sandbox provider never needs the keys. */
  private get stripe(): Stripe {
    if (!this.client) {
      if (!this.env.STRIPE_SECRET_KEY) throw new Error('STRIPE_SECRET_KEY is not set');
      const api = this.env.STRIPE_API_URL ? new URL(this.env.STRIPE_API_URL) : undefined;
      this.client = new Stripe(this.env.STRIPE_SECRET_KEY, {
        maxNetworkRetries: 2,
        timeout: 10_000,
        appInfo: { name: 'Ordo' },
        ...(api
          ? {
              host: api.hostname,
              port: api.port || (api.protocol === 'https:' ? 443 : 80),
              protocol: api.protocol === 'https:' ? 'https' : 'http',
            }
          : {}),
      });
    }
    return this.client;
  }
}

function hosted(session: Stripe.Checkout.Session): HostedSession {
  return { providerRef: session.id, url: session.status === 'open' ? session.url : null };
}
