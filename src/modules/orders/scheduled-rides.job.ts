import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, lte } from 'drizzle-orm';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { Scheduled, type ScheduledJob } from '../../infra/scheduling/scheduled-job.js';
import { ReadyTenants } from '../tenants/ready-tenants.js';
import { CLOCK, fromNow, type Clock } from '../../common/clock.js';
import { OrderFulfilment } from './order-fulfilment.js';
import type { OrderActor } from './order-transitions.js';
import { orders } from './orders.tenant-tables.js';

const ACTOR: OrderActor = { id: 'job:scheduled-rides', role: 'SYSTEM' };
const BATCH = 50;

/**
 * Releases SCHEDULED rides to dispatch RIDE_DISPATCH_LEAD_MS before their time. The due rows are the
 * orders themselves (`scheduled_at`), claimed with `skip locked`, so two schedulers release a ride once.
 */
@Injectable()
@Scheduled({ name: 'scheduled-rides', everyMs: (env) => env.DISPATCH_TICK_MS })
export class ScheduledRidesJob implements ScheduledJob {
  constructor(
    @Inject(ReadyTenants) private readonly tenants: ReadyTenants,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(OrderFulfilment) private readonly fulfilment: OrderFulfilment,
    @Inject(ENV) private readonly env: Env,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async run(): Promise<void> {
    const rides = await this.tenants.find(this.env.RIDES_TENANT);
    if (!rides) return;
    const horizon = fromNow(this.clock, this.env.RIDE_DISPATCH_LEAD_MS);
    await this.unitOfWork.run(rides.db, async (tx, emit, afterCommit) => {
      const due = await tx
        .select()
        .from(orders)
        .where(and(eq(orders.status, 'SCHEDULED'), lte(orders.scheduledAt, horizon)))
        .orderBy(asc(orders.scheduledAt))
        .limit(BATCH)
        .for('update', { skipLocked: true });
      for (const order of due) await this.fulfilment.dispatch({ tx, emit, afterCommit }, rides.code, order, ACTOR);
    });
  }
}
