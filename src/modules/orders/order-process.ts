import type { EventDefinition } from '../../infra/bus/envelope.js';
import {
  OrderCancelled,
  OrderDelivered,
  OrderDispatchFailed,
  OrderDispatching,
  OrderDriverAssigned,
  OrderExpired,
  OrderPaid,
  OrderPaymentFailed,
  OrderPickedUp,
  OrderRejected,
  OrderScheduled,
  OrderValidated,
  type OrderTransitionPayload,
} from './orders.events.js';
import { ORDER_STATUSES, type OrderStatus } from './order-states.js';

/**
 * What a transition does besides changing the status, run in the transition's own transaction by
 * `OrderEffects` (in this order):
 * - `stock.reserve` — hold the order's units (all or nothing; a shortfall refuses the transition);
 * - `stock.commit` — the held units are sold (they leave the shelf);
 * - `stock.release` — give the held units back;
 * - `stock.restock` — put sold units back on the shelf;
 * - `payment.openCheckout` — open the checkout the customer pays through (its link rides in the event);
 * - `payment.closeOpen` — close checkouts still open, so a late payment is refunded rather than kept;
 * - `payment.refundCaptured` — refund money already taken (through the provider, after commit);
 * - `dispatch.request` — ask dispatch for a driver (`dispatch.requested`).
 */
export const ORDER_EFFECTS = [
  'stock.reserve',
  'stock.commit',
  'stock.release',
  'stock.restock',
  'payment.openCheckout',
  'payment.closeOpen',
  'payment.refundCaptured',
  'dispatch.request',
] as const;
export type OrderEffect = (typeof ORDER_EFFECTS)[number];

export interface OrderProcessRow {
  /** What happens, as a verb; unique. */
  name: string;
  from: readonly OrderStatus[];
  to: OrderStatus;
  /** Emitted by the transition, in its transaction (with `{ before, after }` for the audit trail). */
  event: EventDefinition<OrderTransitionPayload>;
  effects: readonly OrderEffect[];
}

/**
 * The order process (DESIGN §7) as one table: every allowed move is one row, and reading a row tells
 * you everything the move does. `transitionOrder` refuses any move not listed here (409). Cancelling is
 * three rows because what it gives back depends on how far the order got.
 */
export const ORDER_PROCESS = [
  row('validate', ['PENDING'], 'AWAITING_PAYMENT', OrderValidated, ['stock.reserve', 'payment.openCheckout']),
  row('reject', ['PENDING'], 'REJECTED', OrderRejected, []),
  row('pay', ['AWAITING_PAYMENT', 'PAYMENT_FAILED'], 'PAID', OrderPaid, ['stock.commit']),
  row('fail_payment', ['AWAITING_PAYMENT'], 'PAYMENT_FAILED', OrderPaymentFailed, []),
  row('expire', ['AWAITING_PAYMENT', 'PAYMENT_FAILED'], 'EXPIRED', OrderExpired, [
    'stock.release',
    'payment.closeOpen',
  ]),
  row('schedule', ['PAID'], 'SCHEDULED', OrderScheduled, []),
  row('dispatch', ['PAID', 'SCHEDULED'], 'DISPATCHING', OrderDispatching, ['dispatch.request']),
  row('assign_driver', ['DISPATCHING'], 'DRIVER_ASSIGNED', OrderDriverAssigned, []),
  row('fail_dispatch', ['DISPATCHING'], 'DISPATCH_FAILED', OrderDispatchFailed, [
    'stock.restock',
    'payment.refundCaptured',
  ]),
  row('pick_up', ['DRIVER_ASSIGNED'], 'PICKED_UP', OrderPickedUp, []),
  row('deliver', ['PICKED_UP'], 'DELIVERED', OrderDelivered, []),
  row('cancel_pending', ['PENDING'], 'CANCELLED', OrderCancelled, []),
  // Money may have been taken just before the order heard of it: refunding what was captured covers that.
  row('cancel_unpaid', ['AWAITING_PAYMENT', 'PAYMENT_FAILED'], 'CANCELLED', OrderCancelled, [
    'stock.release',
    'payment.closeOpen',
    'payment.refundCaptured',
  ]),
  row('cancel_paid', ['PAID', 'SCHEDULED', 'DISPATCHING', 'DRIVER_ASSIGNED'], 'CANCELLED', OrderCancelled, [
    'stock.restock',
    'payment.closeOpen',
    'payment.refundCaptured',
  ]),
] as const satisfies readonly OrderProcessRow[];

export type OrderProcessStep = (typeof ORDER_PROCESS)[number]['name'];

function row(
  name: string,
  from: readonly OrderStatus[],
  to: OrderStatus,
  event: EventDefinition<OrderTransitionPayload>,
  effects: readonly OrderEffect[],
): OrderProcessRow {
  return { name, from, to, event, effects };
}

/** An expected refusal, returned (not thrown) so callers must handle it; the API answers 409. */
export interface IllegalTransition {
  kind: 'illegal-transition';
  from: OrderStatus;
  to: OrderStatus;
}

const rows = ORDER_PROCESS as readonly OrderProcessRow[];
const byMove = new Map<string, OrderProcessRow>();
for (const step of rows) {
  for (const from of step.from) {
    const key = `${from}->${step.to}`;
    // Checked at load: two rows for the same move would make the table ambiguous.
    if (byMove.has(key)) throw new Error(`Order move ${key} is listed twice (${byMove.get(key)!.name}, ${step.name})`);
    byMove.set(key, step);
  }
}

/** The row that moves `from` to `to`, or why it cannot. */
export function orderStep(from: OrderStatus, to: OrderStatus): OrderProcessRow | IllegalTransition {
  return byMove.get(`${from}->${to}`) ?? { kind: 'illegal-transition', from, to };
}

export function isIllegal(result: OrderProcessRow | IllegalTransition): result is IllegalTransition {
  return 'kind' in result;
}

/** Where an order in `status` may go next. */
export function nextStatuses(status: OrderStatus): OrderStatus[] {
  return rows.filter((step) => step.from.includes(status)).map((step) => step.to);
}

const STOCK_EFFECTS: readonly OrderEffect[] = ['stock.reserve', 'stock.commit', 'stock.release', 'stock.restock'];

/** Statuses reached by a row with `effect`, and every status reached from those by rows that move no stock. */
function holding(effect: OrderEffect): Set<OrderStatus> {
  const found = new Set(rows.filter((step) => step.effects.includes(effect)).map((step) => step.to));
  for (let grew = true; grew;) {
    grew = false;
    for (const step of rows) {
      const movesStock = step.effects.some((e) => STOCK_EFFECTS.includes(e));
      if (!movesStock && !found.has(step.to) && step.from.some((from) => found.has(from))) {
        found.add(step.to);
        grew = true;
      }
    }
  }
  return found;
}

/** Every status from which `target` can still be reached. */
function leadingTo(target: OrderStatus): Set<OrderStatus> {
  const found = new Set<OrderStatus>();
  for (let grew = true; grew;) {
    grew = false;
    for (const step of rows) {
      if (step.to !== target && !found.has(step.to)) continue;
      for (const from of step.from) {
        if (!found.has(from)) {
          found.add(from);
          grew = true;
        }
      }
    }
  }
  return found;
}

const ordered = (set: Set<OrderStatus>) => ORDER_STATUSES.filter((status) => set.has(status));

/** Status groups, derived from the rows (so they cannot drift from them). */
export const ORDER_STATUS_GROUPS = {
  /** The order's units are held for it (validated, not paid). */
  reserved: ordered(holding('stock.reserve')),
  /** The order's units are sold to it (paid; put back if it is cancelled before pick-up). */
  sold: ordered(holding('stock.commit')),
  /** The order can still be paid. */
  unpaid: ordered(leadingTo('PAID')),
  /** The customer or staff may cancel it. */
  cancellable: ordered(new Set(rows.filter((step) => step.to === 'CANCELLED').flatMap((step) => step.from))),
  /** Nothing can happen to it any more. */
  terminal: ORDER_STATUSES.filter((status) => nextStatuses(status).length === 0),
} as const;

// Checked at load, like the moves: an order never holds stock twice over, and every order that ends
// without being delivered has given back what it held.
for (const status of ORDER_STATUS_GROUPS.reserved) {
  if (ORDER_STATUS_GROUPS.sold.includes(status))
    throw new Error(`Order status ${status} would both hold and sell stock`);
}
for (const status of ORDER_STATUS_GROUPS.terminal) {
  const delivered = status === 'DELIVERED';
  if (!delivered && (ORDER_STATUS_GROUPS.reserved.includes(status) || ORDER_STATUS_GROUPS.sold.includes(status))) {
    throw new Error(`Order status ${status} ends the order but keeps its stock: a row leading to it must move it`);
  }
}
