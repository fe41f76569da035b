import { Inject, Injectable } from '@nestjs/common';
import { newId } from '../../common/ids.js';
import type { Unit } from '../../infra/bus/unit-of-work.js';
import type { StockLine } from '../catalog/stock-ledger.js';
import { OrderEffects } from './order-effects.js';
import { orderSnapshotOf } from './order-view.js';
import { isIllegal, orderStep, type IllegalTransition } from './order-process.js';
import type { OrderStatus } from './order-states.js';
import type { OrderTransitionPayload } from './orders.events.js';
import { ordersRepository, type NewOrder, type Order } from './orders.repository.js';

export interface OrderActor {
  /** A user id, or `consumer:<name>` / `job:<name>`. */
  id: string | null;
  role: string;
}

export interface TransitionRequest {
  tenant: string;
  /** The order as read under its row lock (`ordersRepository.find(tx, id, true)`). */
  order: Order;
  to: OrderStatus;
  actor: OrderActor;
  reason: string | null;
  /** Columns that change with the status (totals, reasons). */
  changes?: Partial<NewOrder>;
  /** More for the event's `after` (the driver of an assigned order). */
  details?: Pick<OrderTransitionPayload['after'], 'driver'>;
  /** The order's lines, when the caller has them: the stock effects need not read them again. */
  lines?: StockLine[];
}

/** Stock could not be held for the order (`stock.reserve`): nothing was changed. */
export interface RefusedTransition {
  kind: 'refused';
  reason: 'insufficient_stock' | 'unknown_product';
  productId: string;
}

export type TransitionResult =
  { ok: true; order: Order } | ({ ok: false } & IllegalTransition) | ({ ok: false } & RefusedTransition);

/**
 * The one way an order changes status. It finds the move's row in the order process table
 * (`order-process.ts`), runs the row's effects (`OrderEffects`), updates the order (plus `changes`),
 * appends an order event (actor, reason) and emits the row's event, all in the caller's transaction
 * on the tenant's database; the caller holds the order's row lock. An illegal move, or stock that
 * cannot be held, is returned, not thrown.
 */
@Injectable()
export class OrderTransitions {
  constructor(@Inject(OrderEffects) private readonly effects: OrderEffects) {}

  async apply(unit: Unit, request: TransitionRequest): Promise<TransitionResult> {
    const { tenant, order, to, actor, reason } = request;
    const from = order.status as OrderStatus;
    const step = orderStep(from, to);
    if (isIllegal(step)) return { ok: false, ...step };
    const becoming = { ...order, ...request.changes, status: to } as Order;
    const outcome = await this.effects.run(unit, { tenant, order: becoming, step, reason, lines: request.lines });
    if (outcome.refused) {
      return { ok: false, kind: 'refused', reason: outcome.reason, productId: outcome.productId };
    }
    const updated = await ordersRepository.update(unit.tx, order.id, { ...request.changes, status: to });
    await ordersRepository.insertEvent(unit.tx, {
      id: newId(),
      orderId: order.id,
      fromStatus: from,
      toStatus: to,
      actorId: actor.id,
      actorRole: actor.role,
      reason,
    });
    await unit.emit(step.event, {
      aggregateId: order.id,
      tenant,
      payload: {
        orderId: order.id,
        customerId: order.customerId,
        before: { status: from },
        after: {
          status: to,
          reason,
          total: updated.total,
          currency: updated.currency,
          ...outcome.details,
          ...request.details,
        },
        order: orderSnapshotOf(updated),
      },
    });
    return { ok: true, order: updated };
  }
}
