import { Inject, Injectable } from '@nestjs/common';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import type { Envelope } from '../../infra/bus/envelope.js';
import { PermanentFailure } from '../../infra/bus/permanent-failure.js';
import { failpoint } from '../../common/failpoints.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { productsRepository } from '../catalog/products.repository.js';
import { PaymentsService } from '../payments/payments.service.js';
import { reserveItems } from '../catalog/stock.repository.js';
import { tenantsRepository } from '../tenants/tenants.repository.js';
import { deliveryFee, haversineKm, MAX_DELIVERY_KM, type Point } from './delivery-fee.js';
import { transitionOrder, type OrderActor } from './order-transitions.js';
import { OrderPlaced, type OrderPlacedPayload } from './orders.events.js';
import { ordersRepository, type NewOrder, type Order } from './orders.repository.js';
import type { Db } from '../../infra/database/sql-database.js';
import type { Emit } from '../../infra/bus/unit-of-work.js';

export const ORDER_VALIDATOR = 'order-validator';
const ACTOR: OrderActor = { id: `consumer:${ORDER_VALIDATOR}`, role: 'SYSTEM' };
const INT_MAX = 2_147_483_647;

type Pickup = Point & { address: string };

/**
 * Validates a placed order in ONE transaction on the tenant's database: the order must still be
 * PENDING (else nothing happens: cancelled meanwhile, or a redelivery); every product must be
 * orderable (active, not deleted, this tenant's); names and prices are snapshotted; subtotal,
 * delivery fee (see delivery-fee.ts) and total computed; the whole order's stock reserved at once.
 * Then a checkout is opened (due to expire after PAYMENT_TTL) and the order → AWAITING_PAYMENT, or
 * → REJECTED with a reason naming the product. The catalog cache is
 * invalidated after the commit by the `order-stock-cache` consumer (this handler cannot act after its
 * own commit).
 *
 * The tenant's pickup point lives in the control database: `prepare()` reads it before the tenant
 * transaction opens.
 */
@Injectable()
@Consumer({ name: ORDER_VALIDATOR, events: [OrderPlaced], scope: 'tenant' })
export class OrderValidator implements MessageHandler<OrderPlacedPayload, Pickup> {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(PaymentsService) private readonly payments: PaymentsService,
  ) {}

  async prepare(_payload: OrderPlacedPayload, envelope: Envelope): Promise<Pickup> {
    const code = envelope.tenant;
    const tenant = code ? await this.control.transaction((tx) => tenantsRepository.find(tx, code)) : undefined;
    if (!tenant) throw new PermanentFailure(`order.placed for unknown tenant ${String(code)}`);
    return { lat: tenant.pickupLat, lng: tenant.pickupLng, address: tenant.pickupAddress };
  }

  async handle({ orderId }: OrderPlacedPayload, { tx, emit, envelope, prepared: pickup }: HandlerContext<Pickup>) {
    const tenant = envelope.tenant!;
    const order = await ordersRepository.find(tx, orderId, true);
    if (!order || order.status !== 'PENDING') return;
    const reject = (reason: string) =>
      transitionOrder(tx, emit, {
        tenant,
        order,
        to: 'REJECTED',
        actor: ACTOR,
        reason,
        changes: { rejectionReason: reason },
      });

    // A ride was priced upfront at intake and reserves nothing: straight to its checkout.
    if (order.kind === 'RIDE') {
      await this.awaitPayment(tx, emit, tenant, order, 'fare quoted', {});
      return;
    }

    const items = await ordersRepository.items(tx, orderId);
    const products = new Map(
      (await productsRepository.findOrderable(tx, [...new Set(items.map((item) => item.productId))])).map((product) => [
        product.id,
        product,
      ]),
    );
    const missing = items.find((item) => !products.has(item.productId));
    if (missing) {
      await reject(`product not available: ${missing.productId}`);
      return;
    }

    let subtotal = 0;
    for (const item of items) {
      const product = products.get(item.productId)!;
      await ordersRepository.setItemPrice(tx, orderId, item.line, product.name, product.price, item.quantity);
      subtotal += product.price * item.quantity;
    }
    const distanceKm = haversineKm(pickup, { lat: order.dropoffLat, lng: order.dropoffLng });
    if (distanceKm > MAX_DELIVERY_KM) {
      await reject(`drop-off is ${distanceKm.toFixed(1)} km away; this shop delivers up to ${MAX_DELIVERY_KM} km`);
      return;
    }
    const fee = deliveryFee(distanceKm);
    if (subtotal + fee > INT_MAX) {
      await reject('order total is too large');
      return;
    }

    const reservation = await reserveItems(tx, items);
    if (!reservation.ok) {
      const name = products.get(reservation.productId)?.name ?? reservation.productId;
      await reject(
        reservation.reason === 'insufficient_stock' ? `out of stock: ${name}` : `product not available: ${name}`,
      );
      return;
    }
    // Reserved but not yet awaiting payment: where a crash test kills the worker (nothing may stick).
    failpoint('order-validator.reserved');
    await this.awaitPayment(tx, emit, tenant, order, 'items reserved', {
      subtotal,
      deliveryFee: fee,
      total: subtotal + fee,
      pickupLat: pickup.lat,
      pickupLng: pickup.lng,
      pickupAddress: pickup.address,
    });
  }

  /** Opens the checkout (due after PAYMENT_TTL) for the order's total and moves it to AWAITING_PAYMENT. */
  private async awaitPayment(
    tx: Db,
    emit: Emit,
    tenant: string,
    order: Order,
    reason: string,
    changes: Partial<NewOrder>,
  ): Promise<void> {
    const total = changes.total ?? order.total!;
    const checkout = await this.payments.openCheckout(tx, {
      tenant,
      orderId: order.id,
      customerId: order.customerId,
      amount: total,
      currency: order.currency,
    });
    await transitionOrder(tx, emit, {
      tenant,
      order,
      to: 'AWAITING_PAYMENT',
      actor: ACTOR,
      reason,
      changes,
      details: { payment: { id: checkout.id, checkoutUrl: checkout.checkoutUrl, expiresAt: checkout.expiresAt } },
    });
  }
}
