import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isIllegal,
  nextStatuses,
  ORDER_STATUSES,
  orderTransition,
  TERMINAL_STATUSES,
  type OrderStatus,
} from '../../src/modules/orders/order-states.js';

describe('order lifecycle table', () => {
  it('walks the happy path of a delivery', () => {
    const path: OrderStatus[] = [
      'PENDING',
      'AWAITING_PAYMENT',
      'PAID',
      'DISPATCHING',
      'DRIVER_ASSIGNED',
      'PICKED_UP',
      'DELIVERED',
    ];
    for (let i = 1; i < path.length; i++) {
      assert.ok(!isIllegal(orderTransition(path[i - 1]!, path[i]!)), `${path[i - 1]} → ${path[i]}`);
    }
  });

  it('lets a scheduled ride wait, then dispatch', () => {
    assert.ok(!isIllegal(orderTransition('PAID', 'SCHEDULED')));
    assert.ok(!isIllegal(orderTransition('SCHEDULED', 'DISPATCHING')));
  });

  it('allows cancelling before pick-up and refuses it after', () => {
    for (const from of [
      'PENDING',
      'AWAITING_PAYMENT',
      'PAYMENT_FAILED',
      'PAID',
      'SCHEDULED',
      'DISPATCHING',
      'DRIVER_ASSIGNED',
    ] as const) {
      assert.ok(!isIllegal(orderTransition(from, 'CANCELLED')), `cancel from ${from}`);
    }
    for (const from of ['PICKED_UP', 'DELIVERED', 'REJECTED', 'EXPIRED', 'CANCELLED'] as const) {
      assert.deepEqual(orderTransition(from, 'CANCELLED'), { kind: 'illegal-transition', from, to: 'CANCELLED' });
    }
  });

  it('refuses skipping payment and going backwards', () => {
    assert.ok(isIllegal(orderTransition('PENDING', 'PAID')));
    assert.ok(isIllegal(orderTransition('DELIVERED', 'PICKED_UP')));
    assert.ok(isIllegal(orderTransition('PAID', 'AWAITING_PAYMENT')));
  });

  it('knows the terminal states: nothing leaves them', () => {
    assert.deepEqual([...TERMINAL_STATUSES].sort(), [
      'CANCELLED',
      'DELIVERED',
      'DISPATCH_FAILED',
      'EXPIRED',
      'REJECTED',
    ]);
    for (const status of TERMINAL_STATUSES) assert.deepEqual(nextStatuses(status), []);
  });

  it('reaches every status from PENDING', () => {
    const seen = new Set<OrderStatus>(['PENDING']);
    const queue: OrderStatus[] = ['PENDING'];
    while (queue.length) {
      for (const next of nextStatuses(queue.shift()!)) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    assert.deepEqual([...seen].sort(), [...ORDER_STATUSES].sort());
  });
});
