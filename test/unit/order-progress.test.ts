import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ORDER_PROCESS } from '../../src/modules/orders/order-process.js';
import { ORDER_PROGRESS, orderProgress } from '../../src/modules/orders/order-progress.js';
import { ORDER_STATUSES } from '../../src/modules/orders/order-states.js';

describe('order progress (how read models tell a newer snapshot from an older one)', () => {
  it('every move of the process table goes forward, so no order ever returns to a lower progress', () => {
    for (const step of ORDER_PROCESS) {
      for (const from of step.from) {
        assert.ok(orderProgress(step.to) > orderProgress(from), `${step.name}: ${from} → ${step.to}`);
      }
    }
  });

  it('starts at PENDING and numbers every status', () => {
    assert.equal(orderProgress('PENDING'), 0);
    assert.deepEqual(Object.keys(ORDER_PROGRESS).sort(), [...ORDER_STATUSES].sort());
    for (const status of ORDER_STATUSES) {
      if (status !== 'PENDING') assert.ok(orderProgress(status) > 0, status);
    }
  });
});
