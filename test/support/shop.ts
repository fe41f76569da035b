import assert from 'node:assert/strict';
import type { TestApp } from './app.js';
import { customer, readyTenant, type Person } from './people.js';
import { waitFor } from './wait-for.js';
import { expectStatus } from './problems.js';
import { sandboxPayments, type PaymentDriver, type Webhook, type WebhookOverrides } from './payment-drivers.js';

export { expectStatus };

// A READY shop with a merchant, a customer and helpers to sell to them through the public API:
// for suites about what happens to an order after it is placed (payments, notifications, dispatch).

export const DROPOFF = { lat: 52.53, lng: 13.42, address: 'Torstraße 1, Berlin' };

export interface Checkout {
  id: string;
  status: string;
  checkoutUrl: string;
  expiresAt: string;
  sandbox: boolean;
}

export interface ShopOrder {
  id: string;
  status: string;
  currency: string;
  total: number | null;
  customerId: string;
  payment: Checkout | null;
  cancelReason: string | null;
  items: { productId: string; quantity: number }[];
}

export class Shop {
  private constructor(
    readonly app: TestApp,
    readonly code: string,
    readonly merchant: Person,
    readonly shopper: Person,
    readonly payments: PaymentDriver,
  ) {}

  /** `payments` must be the provider the app was started with (its `env`); the sandbox by default. */
  static async open(app: TestApp, code: string, payments: PaymentDriver = sandboxPayments): Promise<Shop> {
    const [merchant, shopper] = await Promise.all([readyTenant(app, code), customer(app, `${code}-shopper`)]);
    return new Shop(app, code, merchant, shopper, payments);
  }

  get base(): string {
    return `/api/tenants/${this.code}`;
  }

  async product(name: string, price: number, initialStock: number): Promise<{ id: string; price: number }> {
    return expectStatus(
      await this.app.request(`${this.base}/products`, {
        method: 'POST',
        json: { name, price, initialStock },
        as: this.merchant.token,
      }),
      201,
    );
  }

  async stock(productId: string): Promise<{ onHand: number; reserved: number }> {
    const view = await expectStatus<{ stock: { onHand: number; reserved: number } }>(
      await this.app.request(`${this.base}/products/${productId}`, { as: this.merchant.token }),
      200,
    );
    return { onHand: view.stock.onHand, reserved: view.stock.reserved };
  }

  async order(id: string, as = this.shopper.token): Promise<ShopOrder> {
    return expectStatus(await this.app.request(`${this.base}/orders/${id}`, { as }), 200);
  }

  /**
   * Polls until the order has reached `status` — by its history, since some statuses are passed through
   * at once (PAID moves on to DISPATCHING) — and returns the order as it is then.
   */
  async until(id: string, status: string, as = this.shopper.token): Promise<ShopOrder> {
    return waitFor(
      async () => {
        const history = await expectStatus<{ data: { to: string }[] }>(
          await this.app.request(`${this.base}/orders/${id}/events`, { as }),
          200,
        );
        return history.data.some((event) => event.to === status) ? this.order(id, as) : undefined;
      },
      { timeoutMs: 20_000, what: `order ${id} to reach ${status}` },
    );
  }

  /** Places an order for `quantity` of `productId` and waits for its checkout (AWAITING_PAYMENT). */
  async awaitingPayment(productId: string, quantity = 1, as = this.shopper.token): Promise<ShopOrder> {
    const placed = await expectStatus<ShopOrder>(
      await this.app.request(`${this.base}/orders`, {
        method: 'POST',
        json: { items: [{ productId, quantity }], dropoff: DROPOFF },
        as,
      }),
      202,
    );
    const order = await this.until(placed.id, 'AWAITING_PAYMENT', as);
    assert.ok(order.payment, 'an order awaiting payment has a checkout');
    return order;
  }

  /** The customer follows the order's checkout link (under Stripe, that opens its Checkout Session). */
  openCheckout(order: ShopOrder): Promise<Response> {
    return this.payments.open(this.app, order);
  }

  /**
   * Pays or declines at the provider's checkout, as the customer does: the sandbox page's form, or
   * Stripe's page and the webhook Stripe sends then. 200 when Ordo took the outcome.
   */
  async checkout(order: ShopOrder, button: 'pay' | 'decline'): Promise<Response> {
    return this.payments.checkout(this.app, order, button);
  }

  /** A webhook signed by the provider, about the order's payment. */
  webhook(
    order: ShopOrder,
    type: 'payment.succeeded' | 'payment.failed',
    overrides: WebhookOverrides = {},
  ): Promise<Webhook> {
    return this.payments.webhook(this.app, this.code, order, type, overrides);
  }

  /** Posts a webhook to the provider's endpoint, raw (the signature covers the exact bytes). */
  async deliver(webhook: Webhook): Promise<Response> {
    return this.payments.deliver(this.app, webhook);
  }

  async paid(productId: string, quantity = 1): Promise<ShopOrder> {
    const order = await this.awaitingPayment(productId, quantity);
    assert.equal((await this.checkout(order, 'pay')).status, 200);
    return this.until(order.id, 'PAID');
  }
}
