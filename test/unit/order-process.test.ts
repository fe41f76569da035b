import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isIllegal,
  nextStatuses,
  ORDER_PROCESS,
  ORDER_STATUS_GROUPS,
  orderStep,
} from '../../src/modules/orders/order-process.js';
import { ORDER_STATUSES, type OrderStatus } from '../../src/modules/orders/order-states.js';

/** The table as a reader sees it: one line per row. */
function printed(): string {
  return ORDER_PROCESS.map(
    (row) =>
      `${row.name.padEnd(15)} ${row.from.join('|').padEnd(47)} → ${row.to.padEnd(16)} ${row.event.type.padEnd(22)} ${row.effects.join(', ') || '—'}`,
  ).join('\n');
}

describe('the order process table', () => {
  it('reads as one row per move, with its event and effects (a change here is a change of the process)', (t) => {
    t.diagnostic(`\n${printed()}`);
    assert.equal(
      printed(),
      [
        'validate        PENDING                                         → AWAITING_PAYMENT order.validated        stock.reserve, payment.openCheckout',
        'reject          PENDING                                         → REJECTED         order.rejected         —',
        'pay             AWAITING_PAYMENT|PAYMENT_FAILED                 → PAID             order.paid             stock.commit',
        'fail_payment    AWAITING_PAYMENT                                → PAYMENT_FAILED   order.payment_failed   —',
        'expire          AWAITING_PAYMENT|PAYMENT_FAILED                 → EXPIRED          order.expired          stock.release, payment.closeOpen',
        'schedule        PAID                                            → SCHEDULED        order.scheduled        —',
        'dispatch        PAID|SCHEDULED                                  → DISPATCHING      order.dispatching      dispatch.request',
        'assign_driver   DISPATCHING                                     → DRIVER_ASSIGNED  order.driver_assigned  —',
        'fail_dispatch   DISPATCHING                                     → DISPATCH_FAILED  order.dispatch_failed  stock.restock, payment.refundCaptured',
        'pick_up         DRIVER_ASSIGNED                                 → PICKED_UP        order.picked_up        —',
        'deliver         PICKED_UP                                       → DELIVERED        order.delivered        —',
        'cancel_pending  PENDING                                         → CANCELLED        order.cancelled        —',
        'cancel_unpaid   AWAITING_PAYMENT|PAYMENT_FAILED                 → CANCELLED        order.cancelled        stock.release, payment.closeOpen, payment.refundCaptured',
        'cancel_paid     PAID|SCHEDULED|DISPATCHING|DRIVER_ASSIGNED      → CANCELLED        order.cancelled        stock.restock, payment.closeOpen, payment.refundCaptured',
      ].join('\n'),
    );
  });

  it('names each row once and emits the event of the status it reaches', () => {
    assert.equal(new Set(ORDER_PROCESS.map((row) => row.name)).size, ORDER_PROCESS.length);
    for (const row of ORDER_PROCESS) {
      assert.ok(row.event.type.startsWith('order.'), row.name);
      const sameTarget = ORDER_PROCESS.filter((other) => other.to === row.to);
      assert.ok(
        sameTarget.every((other) => other.event === row.event),
        `every move to ${row.to} emits one event`,
      );
    }
  });

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
      assert.ok(!isIllegal(orderStep(path[i - 1]!, path[i]!)), `${path[i - 1]} → ${path[i]}`);
    }
  });

  it('allows cancelling before pick-up and refuses it after', () => {
    for (const from of ORDER_STATUS_GROUPS.cancellable) assert.ok(!isIllegal(orderStep(from, 'CANCELLED')), from);
    for (const from of ['PICKED_UP', 'DELIVERED', 'REJECTED', 'EXPIRED', 'CANCELLED'] as const) {
      assert.deepEqual(orderStep(from, 'CANCELLED'), { kind: 'illegal-transition', from, to: 'CANCELLED' });
    }
  });

  it('refuses skipping payment and going backwards', () => {
    assert.ok(isIllegal(orderStep('PENDING', 'PAID')));
    assert.ok(isIllegal(orderStep('DELIVERED', 'PICKED_UP')));
    assert.ok(isIllegal(orderStep('PAID', 'AWAITING_PAYMENT')));
    assert.ok(
      isIllegal(orderStep('PAYMENT_FAILED', 'AWAITING_PAYMENT')),
      'a failed payment is retried by paying, not by a move',
    );
  });

  it('derives the status groups from the rows', () => {
    assert.deepEqual(ORDER_STATUS_GROUPS, {
      reserved: ['AWAITING_PAYMENT', 'PAYMENT_FAILED'],
      sold: ['PAID', 'SCHEDULED', 'DISPATCHING', 'DRIVER_ASSIGNED', 'PICKED_UP', 'DELIVERED'],
      unpaid: ['PENDING', 'AWAITING_PAYMENT', 'PAYMENT_FAILED'],
      cancellable: [
        'PENDING',
        'AWAITING_PAYMENT',
        'PAYMENT_FAILED',
        'PAID',
        'SCHEDULED',
        'DISPATCHING',
        'DRIVER_ASSIGNED',
      ],
      terminal: ['EXPIRED', 'REJECTED', 'DISPATCH_FAILED', 'DELIVERED', 'CANCELLED'],
    });
    for (const status of ORDER_STATUS_GROUPS.terminal) assert.deepEqual(nextStatuses(status), []);
  });

  it('gives back what an order held whenever it ends undelivered', () => {
    for (const row of ORDER_PROCESS) {
      const leavesReserved = row.from.some((s) => ORDER_STATUS_GROUPS.reserved.includes(s));
      if (leavesReserved && !ORDER_STATUS_GROUPS.reserved.includes(row.to)) {
        assert.ok(
          row.effects.some((e) => e === 'stock.release' || e === 'stock.commit'),
          `${row.name} leaves a reservation without releasing or selling it`,
        );
      }
      if (
        row.from.some((s) => ORDER_STATUS_GROUPS.sold.includes(s)) &&
        ['CANCELLED', 'DISPATCH_FAILED'].includes(row.to)
      ) {
        assert.ok(row.effects.includes('stock.restock'), `${row.name} must put sold units back`);
        assert.ok(row.effects.includes('payment.refundCaptured'), `${row.name} must refund`);
      }
    }
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
