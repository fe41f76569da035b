import { Inject, Injectable } from '@nestjs/common';
import { failpoint } from '../../common/failpoints.js';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import type { Envelope } from '../../infra/bus/envelope.js';
import { PermanentFailure } from '../../infra/bus/permanent-failure.js';
import { haversineKm, type Point } from '../../infra/geo/geo-math.js';
import { StockLedger } from '../catalog/stock-ledger.js';
import { ReadyTenants } from '../tenants/ready-tenants.js';
import { deliveryFee, MAX_DELIVERY_KM } from './delivery-fee.js';
import { OrderTransitions, type OrderActor } from './order-transitions.js';
import { OrderPlaced, type OrderPlacedPayload } from './orders.events.js';
import { ordersRepository } from './orders.repository.js';
import { INT4_MAX } from '../../common/int4.js';

export const ORDER_VALIDATOR = 'order-validator';
const ACTOR: OrderActor = { id: `consumer:${ORDER_VALIDATOR}`, role: 'SYSTEM' };

type Pickup = Point & { address: string };

/**
 * Validates a placed order in ONE transaction on the tenant's database: the order must still be
 * PENDING (else nothing happens: cancelled meanwhile, or a redelivery); every product must be
 * orderable (active, not deleted, this tenant's); names and prices are those snapshotted at intake; subtotal,
 * delivery fee (see delivery-fee.ts) and total computed. Then the `validate` row of the order process
 * holds the whole order's stock and opens the checkout (→ AWAITING_PAYMENT), or the order is
 * REJECTED with a reason naming the product.
 *
 * The tenant's pickup point comes from the tenants module, in `prepare()`, before the tenant
 * transaction opens.
 */
@Injectable()
@Consumer({ name: ORDER_VALIDATOR, events: [OrderPlaced], scope: 'tenant' })
export class OrderValidator implements MessageHandler<OrderPlacedPayload, Pickup> {
  constructor(
    @Inject(ReadyTenants) private readonly tenants: ReadyTenants,
    @Inject(StockLedger) private readonly stock: StockLedger,
    @Inject(OrderTransitions) private readonly transitions: OrderTransitions,
  ) {}

  async prepare(_payload: OrderPlacedPayload, envelope: Envelope): Promise<Pickup> {
    const profile = envelope.tenant ? await this.tenants.profile(envelope.tenant) : undefined;
    if (!profile) throw new PermanentFailure(`order.placed for unknown tenant ${String(envelope.tenant)}`);
    return profile.pickup;
  }

  async handle({ orderId }: OrderPlacedPayload, context: HandlerContext<Pickup>) {
    const { tx, envelope, prepared: pickup } = context;
    const tenant = envelope.tenant!;
    const found = await ordersRepository.findLockedWithLines(tx, orderId);
    if (!found || found.order.status !== 'PENDING') return;
    const { order, lines: items } = found;
    const reject = (reason: string) =>
      this.transitions.apply(context, {
        tenant,
        order,
        to: 'REJECTED',
        actor: ACTOR,
        reason,
        changes: { rejectionReason: reason },
      });

    // A ride was priced upfront at intake and reserves nothing: straight to its checkout.
    if (order.kind === 'RIDE') {
      await this.transitions.apply(context, {
        tenant,
        order,
        to: 'AWAITING_PAYMENT',
        actor: ACTOR,
        reason: 'fare quoted',
      });
      return;
    }

    const products = new Map(
      (
        await this.stock.orderable(
          tx,
          items.map((item) => item.productId),
        )
      ).map((product) => [product.id, product]),
    );
    const missing = items.find((item) => !products.has(item.productId));
    if (missing) {
      await reject(`product not available: ${missing.productId}`);
      return;
    }

    // Prices as snapshotted at intake (what the customer saw); a line without one (an order placed
    // before intake took snapshots) takes today's.
    const priced = items.map((item) => {
      const product = products.get(item.productId)!;
      const unitPrice = item.unitPrice ?? product.price;
      return { item, name: item.name ?? product.name, unitPrice, lineTotal: unitPrice * item.quantity };
    });
    const subtotal = priced.reduce((sum, line) => sum + line.lineTotal, 0);
    const distanceKm = haversineKm(pickup, { lat: order.dropoffLat, lng: order.dropoffLng });
    if (distanceKm > MAX_DELIVERY_KM) {
      await reject(`drop-off is ${distanceKm.toFixed(1)} km away; this shop delivers up to ${MAX_DELIVERY_KM} km`);
      return;
    }
    const fee = deliveryFee(distanceKm);
    if (subtotal + fee > INT4_MAX) {
      await reject('order total is too large');
      return;
    }
    for (const { item, name, unitPrice } of priced) {
      if (item.unitPrice === null)
        await ordersRepository.setItemPrice(tx, orderId, item.line, name, unitPrice, item.quantity);
    }

    // Reserved but not yet awaiting payment, after the effects ran: where a crash test kills the worker.
    const validated = await this.transitions.apply(context, {
      tenant,
      order,
      to: 'AWAITING_PAYMENT',
      actor: ACTOR,
      reason: 'items reserved',
      lines: items,
      changes: {
        subtotal,
        deliveryFee: fee,
        total: subtotal + fee,
        pickupLat: pickup.lat,
        pickupLng: pickup.lng,
        pickupAddress: pickup.address,
      },
    });
    if (!validated.ok && validated.kind === 'refused') {
      const name = products.get(validated.productId)?.name ?? validated.productId;
      await reject(
        validated.reason === 'insufficient_stock' ? `out of stock: ${name}` : `product not available: ${name}`,
      );
      return;
    }
    failpoint('order-validator.reserved');
  }
}
