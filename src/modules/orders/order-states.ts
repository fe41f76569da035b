/**
 * Every status an order can be in (DESIGN §7). What moves an order between them, and what each move
 * does, is the order process table in `order-process.ts`.
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
