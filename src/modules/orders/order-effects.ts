import { Inject, Injectable } from '@nestjs/common';
import type { Unit } from '../../infra/bus/unit-of-work.js';
import { StockLedger, type StockLine, type StockScope } from '../catalog/stock-ledger.js';
import { DispatchRequested } from '../dispatch/dispatch.events.js';
import { PaymentsService } from '../payments/payments.service.js';
import type { OrderEffect, OrderProcessRow } from './order-process.js';
import type { OrderTransitionPayload } from './orders.events.js';
import { ordersRepository, type Order } from './orders.repository.js';

/** What an effect acts on: the order as it will be once the transition is written. */
export interface EffectSubject {
  tenant: string;
  order: Order;
  step: OrderProcessRow;
  reason: string | null;
  /** The order's lines, when the caller has read them already (else the stock effects read them). */
  lines?: StockLine[];
}

/** What the effects of one transition produced: a refusal (nothing moved), or details for its event. */
export type EffectsOutcome =
  | { refused: false; details: Pick<OrderTransitionPayload['after'], 'payment'> }
  | { refused: true; reason: 'insufficient_stock' | 'unknown_product'; productId: string };

/**
 * Runs the effects of an order process row in the transition's transaction, through the faces of the
 * modules that own them: stock through the catalog's `StockLedger`, money through `PaymentsService`,
 * drivers by asking dispatch with `dispatch.requested`. Only `stock.reserve` can refuse, and it runs
 * first, so a refused transition has changed nothing. The one place orders change stock or money.
 */
@Injectable()
export class OrderEffects {
  constructor(
    @Inject(StockLedger) private readonly stock: StockLedger,
    @Inject(PaymentsService) private readonly payments: PaymentsService,
  ) {}

  /**
   * Money that arrived for an order that cannot take it (expired or cancelled meanwhile, or paid
   * already) goes back: no transition, but still a move of money, so it goes through here too.
   */
  async refundPayment({ tx, emit }: Unit, tenant: string, paymentId: string, reason: string): Promise<void> {
    await this.payments.requestRefund(tx, emit, tenant, paymentId, reason);
  }

  /** A checkout still open for an order that no longer awaits payment (paid or cancelled meanwhile). */
  async closeStaleCheckouts({ tx }: Unit, orderId: string): Promise<void> {
    await this.payments.closeOpen(tx, orderId, 'EXPIRED');
  }

  async run(unit: Unit, subject: EffectSubject): Promise<EffectsOutcome> {
    const details: Pick<OrderTransitionPayload['after'], 'payment'> = {};
    let lines = subject.lines;
    const orderLines = async () => (lines ??= await ordersRepository.items(unit.tx, subject.order.id));
    const scope: StockScope = { tx: unit.tx, afterCommit: unit.afterCommit, tenant: subject.tenant };
    for (const effect of subject.step.effects) {
      const refusal = await this.one(effect, unit, subject, scope, orderLines, details);
      if (refusal) return refusal;
    }
    return { refused: false, details };
  }

  private async one(
    effect: OrderEffect,
    { tx, emit }: Unit,
    { tenant, order, step, reason }: EffectSubject,
    scope: StockScope,
    orderLines: () => Promise<StockLine[]>,
    details: Pick<OrderTransitionPayload['after'], 'payment'>,
  ): Promise<Extract<EffectsOutcome, { refused: true }> | undefined> {
    switch (effect) {
      case 'stock.reserve': {
        const reserved = await this.stock.reserve(scope, await orderLines());
        return reserved.ok ? undefined : { refused: true, reason: reserved.reason, productId: reserved.productId };
      }
      case 'stock.commit':
        return void (await this.stock.commit(scope, await orderLines()));
      case 'stock.release':
        return void (await this.stock.release(scope, await orderLines()));
      case 'stock.restock':
        return void (await this.stock.restock(scope, await orderLines()));
      case 'payment.openCheckout': {
        const checkout = await this.payments.openCheckout(tx, {
          tenant,
          orderId: order.id,
          customerId: order.customerId,
          amount: order.total!,
          currency: order.currency,
        });
        details.payment = { id: checkout.id, checkoutUrl: checkout.checkoutUrl, expiresAt: checkout.expiresAt };
        return undefined;
      }
      case 'payment.closeOpen':
        return void (await this.payments.closeOpen(tx, order.id, step.to === 'EXPIRED' ? 'EXPIRED' : 'CANCELLED'));
      case 'payment.refundCaptured': {
        const captured = await this.payments.captured(tx, order.id);
        const why = `order ${step.to.toLowerCase().replace('_', ' ')}${reason ? `: ${reason}` : ''}`;
        if (captured) await this.payments.requestRefund(tx, emit, tenant, captured.id, why);
        return undefined;
      }
      case 'dispatch.request':
        await emit(DispatchRequested, {
          aggregateId: order.id,
          tenant,
          payload: {
            orderId: order.id,
            kind: order.kind === 'RIDE' ? 'RIDE' : 'DELIVERY',
            rideClass: order.rideClass,
            pickup: { lat: order.pickupLat!, lng: order.pickupLng! },
            dropoff: { lat: order.dropoffLat, lng: order.dropoffLng },
          },
        });
        return undefined;
    }
  }
}
