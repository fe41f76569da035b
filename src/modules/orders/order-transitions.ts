import { newId } from '../../common/ids.js';
import type { Emit } from '../../infra/bus/unit-of-work.js';
import type { Db } from '../../infra/database/sql-database.js';
import type { EventDefinition } from '../../infra/bus/envelope.js';
import { isIllegal, orderTransition, type IllegalTransition, type OrderStatus } from './order-states.js';
import { ORDER_STATUS_EVENTS, type OrderTransitionPayload } from './orders.events.js';
import { settleStock } from './order-stock.js';
import { ordersRepository, type NewOrder, type Order } from './orders.repository.js';

export interface OrderActor {
  /** A user id, or `consumer:<name>` / `job:<name>`. */
  id: string | null;
  role: string;
}

/** The event each target status emits (the table lives with the events, in orders.events.ts). */
const EVENT_OF: Partial<Record<OrderStatus, EventDefinition<OrderTransitionPayload>>> = ORDER_STATUS_EVENTS;

export interface TransitionRequest {
  tenant: string;
  /** The order as read under its row lock (`ordersRepository.find(tx, id, true)`). */
  order: Order;
  to: OrderStatus;
  actor: OrderActor;
  reason: string | null;
  /** Columns that change with the status (totals, reasons). */
  changes?: Partial<NewOrder>;
  /** More for the event's `after` (e.g. the checkout of an order awaiting payment). */
  details?: Pick<OrderTransitionPayload['after'], 'payment' | 'driver'>;
}

export type TransitionResult = { ok: true; order: Order } | ({ ok: false } & IllegalTransition);

/**
 * The one way an order changes status: checks the move against the transitions table, updates the
 * order (plus `changes`), moves its stock (`settleStock`), appends an order_event (actor, reason) and
 * emits the status's event, all in the caller's transaction (`tx` on the tenant's database, `emit`
 * from the same unit of work). The caller holds the order row lock. An illegal move is returned, not
 * thrown.
 */
export async function transitionOrder(tx: Db, emit: Emit, request: TransitionRequest): Promise<TransitionResult> {
  const { tenant, order, to, actor, reason } = request;
  const from = order.status as OrderStatus;
  const transition = orderTransition(from, to);
  if (isIllegal(transition)) return { ok: false, ...transition };
  const event = EVENT_OF[to];
  if (!event) throw new Error(`No event is defined for an order reaching ${to}`);
  const updated = await ordersRepository.update(tx, order.id, { ...request.changes, status: to });
  await settleStock(tx, order.id, from, to);
  await ordersRepository.insertEvent(tx, {
    id: newId(),
    orderId: order.id,
    fromStatus: from,
    toStatus: to,
    actorId: actor.id,
    actorRole: actor.role,
    reason,
  });
  await emit(event, {
    aggregateId: order.id,
    tenant,
    payload: {
      orderId: order.id,
      customerId: order.customerId,
      before: { status: from },
      after: { status: to, reason, total: updated.total, currency: updated.currency, ...request.details },
    },
  });
  return { ok: true, order: updated };
}
