import type Stripe from 'stripe';
import type { TestApp } from './app.js';
import { StripeStandIn } from './stripe-stand-in.js';
import { SandboxProvider } from '../../src/modules/payments/sandbox/sandbox-provider.js';
import { SIGNATURE_HEADER } from '../../src/modules/payments/sandbox/webhook-signature.js';

// How a test pays through each payment provider, so one suite runs on both: what the customer does at
// the provider's checkout, and the signed webhooks the provider sends Ordo afterwards.

export type ProviderName = 'sandbox' | 'stripe';
export const PROVIDERS: readonly ProviderName[] = ['sandbox', 'stripe'];

/** The payment an order awaits, as order views show it. */
export interface PayableOrder {
  id: string;
  total: number | null;
  currency: string;
  payment: { id: string; checkoutUrl: string } | null;
}

export interface Webhook {
  body: string;
  headers: Record<string, string>;
}

export interface WebhookOverrides {
  id?: string;
  amount?: number;
  currency?: string;
  /** Unix seconds the signature claims. */
  timestamp?: number;
}

export interface PaymentDriver {
  readonly provider: ProviderName;
  /** What Ordo needs in its environment to take payments this way. */
  readonly env: Record<string, string>;
  /** A refund reference as this provider makes them. */
  readonly refundRef: RegExp;
  /** The customer's browser follows the checkout link (Stripe opens its session then). */
  open(app: TestApp, order: PayableOrder): Promise<Response>;
  /**
   * The customer presses Pay or is declined at the provider's checkout; what Ordo answered (the sandbox
   * page, or the webhook receipt Stripe gets) — 200 when the outcome was taken, 409 if it cannot be paid.
   */
  checkout(app: TestApp, order: PayableOrder, button: 'pay' | 'decline'): Promise<Response>;
  /** A webhook signed as the provider signs them, saying the order's payment succeeded or failed. */
  webhook(
    app: TestApp,
    tenant: string,
    order: PayableOrder,
    type: 'payment.succeeded' | 'payment.failed',
    overrides?: WebhookOverrides,
  ): Promise<Webhook>;
  /** Posts a webhook to this provider's endpoint, raw (the signature covers the exact bytes). */
  deliver(app: TestApp, webhook: Webhook): Promise<Response>;
  close(): Promise<void>;
}

const path = (order: PayableOrder) => new URL(order.payment!.checkoutUrl).pathname;

const post = (app: TestApp, provider: ProviderName, webhook: Webhook) =>
  fetch(`${app.url}/api/payments/webhooks/${provider}`, {
    method: 'POST',
    headers: webhook.headers,
    body: webhook.body,
  });

/** The built-in sandbox: a page with Pay / Decline, webhooks signed with Ordo-Signature. */
export const sandboxPayments: PaymentDriver = {
  provider: 'sandbox',
  env: {},
  refundRef: /^sbx_re_/,
  open: (app, order) => app.request(path(order), { as: null }),
  checkout: (app, order, button) => app.request(`${path(order)}/${button}`, { method: 'POST', as: null }),
  webhook(app, tenant, order, type, overrides = {}) {
    const { body, signature } = app.ordo.app.get(SandboxProvider).signedWebhook(
      {
        ...(overrides.id ? { id: overrides.id } : {}),
        type,
        data: {
          tenant,
          payment: order.payment!.id,
          amount: overrides.amount ?? order.total!,
          currency: overrides.currency ?? order.currency,
        },
      },
      overrides.timestamp,
    );
    return Promise.resolve({ body, headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature } });
  },
  deliver: (app, webhook) => post(app, 'sandbox', webhook),
  close: () => Promise.resolve(),
};

/** Stripe, through the stand-in: the link redirects to a Checkout Session; Stripe's events follow. */
export class StripePayments implements PaymentDriver {
  readonly provider = 'stripe';
  readonly refundRef = /^re_/;
  /** The Checkout Session each payment's link opened. */
  private readonly sessions = new Map<string, string>();

  private constructor(readonly standIn: StripeStandIn) {}

  static async start(): Promise<StripePayments> {
    return new StripePayments(await StripeStandIn.start());
  }

  get env(): Record<string, string> {
    return this.standIn.env;
  }

  async open(app: TestApp, order: PayableOrder): Promise<Response> {
    const response = await fetch(`${app.url}${path(order)}`, { redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status === 303 && location) this.sessions.set(order.payment!.id, this.standIn.sessionAt(location).id);
    return response;
  }

  /** The order's Checkout Session id, opening it (following the link) if the customer has not yet. */
  async sessionOf(app: TestApp, order: PayableOrder): Promise<string> {
    if (!this.sessions.has(order.payment!.id)) {
      const opened = await this.open(app, order);
      if (opened.status !== 303) throw new Error(`the checkout link answered ${opened.status}, not a redirect`);
    }
    return this.sessions.get(order.payment!.id)!;
  }

  async checkout(app: TestApp, order: PayableOrder, button: 'pay' | 'decline'): Promise<Response> {
    const opened = await this.open(app, order);
    if (opened.status !== 303) return opened;
    const session = this.sessions.get(order.payment!.id)!;
    const event = button === 'pay' ? this.standIn.complete(session) : this.standIn.decline(session);
    return this.deliver(app, this.standIn.signed(event));
  }

  async webhook(
    app: TestApp,
    _tenant: string,
    order: PayableOrder,
    type: 'payment.succeeded' | 'payment.failed',
    overrides: WebhookOverrides = {},
  ): Promise<Webhook> {
    const session = await this.sessionOf(app, order);
    const event = type === 'payment.succeeded' ? this.standIn.complete(session) : this.standIn.decline(session);
    const object = event.data.object as unknown as Record<string, unknown>;
    const amountField = type === 'payment.succeeded' ? 'amount_total' : 'amount';
    if (overrides.amount !== undefined) object[amountField] = overrides.amount;
    if (overrides.currency) object.currency = overrides.currency.toLowerCase();
    if (overrides.id) (event as { id: string }).id = overrides.id;
    return this.standIn.signed(event, overrides.timestamp ? { timestamp: overrides.timestamp } : {});
  }

  /** Any event the stand-in built, signed and posted. */
  send(app: TestApp, event: Stripe.Event, options?: { timestamp?: number; secret?: string }): Promise<Response> {
    return this.deliver(app, this.standIn.signed(event, options));
  }

  deliver(app: TestApp, webhook: Webhook): Promise<Response> {
    return post(app, 'stripe', webhook);
  }

  close(): Promise<void> {
    return this.standIn.close();
  }
}

export async function paymentDriver(provider: ProviderName): Promise<PaymentDriver> {
  return provider === 'stripe' ? StripePayments.start() : sandboxPayments;
}
