import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../../common/clock.js';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import type { Unit } from '../../infra/bus/unit-of-work.js';
import { OrderTransitions, type OrderActor, type TransitionResult } from './order-transitions.js';
import type { Order } from './orders.repository.js';

/**
 * What follows payment, in the same transaction as the payment itself (no hop through the bus): a
 * ride booked for later waits (SCHEDULED) until `RIDE_DISPATCH_LEAD_MS` before its time; anything else
 * looks for a driver at once (DISPATCHING, whose `dispatch.request` effect asks dispatch).
 */
@Injectable()
export class OrderFulfilment {
  constructor(
    @Inject(OrderTransitions) private readonly transitions: OrderTransitions,
    @Inject(ENV) private readonly env: Env,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The order has just become PAID. */
  afterPayment(unit: Unit, tenant: string, order: Order, actor: OrderActor): Promise<TransitionResult> {
    const releaseAt = order.scheduledAt ? order.scheduledAt.getTime() - this.env.RIDE_DISPATCH_LEAD_MS : 0;
    if (releaseAt > this.clock.now().getTime()) {
      const reason = `dispatch at ${new Date(releaseAt).toISOString()}`;
      return this.transitions.apply(unit, { tenant, order, to: 'SCHEDULED', actor, reason });
    }
    return this.dispatch(unit, tenant, order, actor);
  }

  /** PAID or SCHEDULED → DISPATCHING. */
  dispatch(unit: Unit, tenant: string, order: Order, actor: OrderActor): Promise<TransitionResult> {
    return this.transitions.apply(unit, { tenant, order, to: 'DISPATCHING', actor, reason: 'looking for a driver' });
  }
}
