/**
 * The order lifecycle as data (DESIGN §7): every allowed move is one row of `ORDER_TRANSITIONS`;
 * anything else is refused. Read this table to know what an order can do next.
 */
export const ORDER_STATUSES = [
  'PENDING',
  'AWAITING_PAYMENT',
  'PAYMENT_FAILED',
  'EXPIRED',
  'REJECTED',
  'PAID',
  'SCHEDULED',
  'DISPATCHING',
  'DISPATCH_FAILED',
  'DRIVER_ASSIGNED',
  'PICKED_UP',
  'DELIVERED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Cancelling is allowed from every state before the goods (or the rider) are picked up. */
const CANCELLABLE: OrderStatus[] = [
  'PENDING',
  'AWAITING_PAYMENT',
  'PAYMENT_FAILED',
  'PAID',
  'SCHEDULED',
  'DISPATCHING',
  'DRIVER_ASSIGNED',
];

export interface OrderTransition {
  /** What happens, as a verb; also the audit action suffix. */
  name: string;
  from: readonly OrderStatus[];
  to: OrderStatus;
}

export const ORDER_TRANSITIONS = [
  { name: 'validate', from: ['PENDING'], to: 'AWAITING_PAYMENT' },
  { name: 'reject', from: ['PENDING'], to: 'REJECTED' },
  { name: 'pay', from: ['AWAITING_PAYMENT', 'PAYMENT_FAILED'], to: 'PAID' },
  { name: 'fail_payment', from: ['AWAITING_PAYMENT'], to: 'PAYMENT_FAILED' },
  { name: 'retry_payment', from: ['PAYMENT_FAILED'], to: 'AWAITING_PAYMENT' },
  { name: 'expire', from: ['AWAITING_PAYMENT', 'PAYMENT_FAILED'], to: 'EXPIRED' },
  { name: 'schedule', from: ['PAID'], to: 'SCHEDULED' },
  { name: 'dispatch', from: ['PAID', 'SCHEDULED'], to: 'DISPATCHING' },
  { name: 'assign_driver', from: ['DISPATCHING'], to: 'DRIVER_ASSIGNED' },
  { name: 'fail_dispatch', from: ['DISPATCHING'], to: 'DISPATCH_FAILED' },
  { name: 'pick_up', from: ['DRIVER_ASSIGNED'], to: 'PICKED_UP' },
  { name: 'deliver', from: ['PICKED_UP'], to: 'DELIVERED' },
  { name: 'cancel', from: CANCELLABLE, to: 'CANCELLED' },
] as const satisfies readonly OrderTransition[];

export type OrderTransitionName = (typeof ORDER_TRANSITIONS)[number]['name'];

/** An expected refusal, returned (not thrown) so callers must handle it; the API answers 409. */
export interface IllegalTransition {
  kind: 'illegal-transition';
  from: OrderStatus;
  to: OrderStatus;
}

const allowed = new Map<string, OrderTransition>();
for (const transition of ORDER_TRANSITIONS as readonly OrderTransition[]) {
  for (const from of transition.from) {
    const key = `${from}->${transition.to}`;
    // Checked at load: two rows for the same move would make the table ambiguous.
    if (allowed.has(key)) throw new Error(`Order transition ${key} is listed twice`);
    allowed.set(key, transition);
  }
}

export const TERMINAL_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter(
  (status) => ![...allowed.keys()].some((key) => key.startsWith(`${status}->`)),
);

/** The transition that moves `from` to `to`, or why it cannot. */
export function orderTransition(from: OrderStatus, to: OrderStatus): OrderTransition | IllegalTransition {
  return allowed.get(`${from}->${to}`) ?? { kind: 'illegal-transition', from, to };
}

export function isIllegal(result: OrderTransition | IllegalTransition): result is IllegalTransition {
  return 'kind' in result && result.kind === 'illegal-transition';
}

/** Where an order in `status` may go next. */
export function nextStatuses(status: OrderStatus): OrderStatus[] {
  return [...allowed.values()].filter((t) => t.from.includes(status)).map((t) => t.to);
}
