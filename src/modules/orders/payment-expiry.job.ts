import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { TENANT_DATABASES, type TenantDatabases } from '../../infra/database/tenant-databases.port.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { Scheduled, type ScheduledJob } from '../../infra/scheduling/scheduled-job.js';
import { PaymentsService } from '../payments/payments.service.js';
import { ReadyTenants } from '../tenants/ready-tenants.js';
import { OrderEffects } from './order-effects.js';
import { OrderTransitions, type OrderActor } from './order-transitions.js';
import { ordersRepository } from './orders.repository.js';

const ACTOR: OrderActor = { id: 'job:payment-expiry', role: 'SYSTEM' };
/** Orders expired per tenant per transaction; the rest wait for the next run. */
const BATCH = 100;

/**
 * AWAITING_PAYMENT (or PAYMENT_FAILED) orders whose checkout is past its due time (`expires_at`,
 * set to PAYMENT_TTL at validation) → EXPIRED, reservation released, checkout closed. The due rows
 * are the payments themselves; each order is locked with `skip locked` and re-checked, so even two
 * schedulers running this at once (normally only the leader does) expire an order exactly once, and
 * an order paid at the last moment is never expired.
 */
@Injectable()
@Scheduled({ name: 'payment-expiry', everyMs: (env) => env.PAYMENT_EXPIRY_INTERVAL_MS })
export class PaymentExpiryJob implements ScheduledJob {
  constructor(
    @Inject(ReadyTenants) private readonly tenants: ReadyTenants,
    @Inject(TENANT_DATABASES) private readonly databases: TenantDatabases,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(PaymentsService) private readonly payments: PaymentsService,
    @Inject(OrderTransitions) private readonly transitions: OrderTransitions,
    @Inject(OrderEffects) private readonly effects: OrderEffects,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async run(): Promise<void> {
    for (const code of await this.tenants.readyCodes()) {
      // One tenant failing (its server down) must not stop the others from expiring.
      await this.expireIn(code).catch((error: unknown) =>
        this.log.error({ err: error, tenant: code }, 'payment expiry failed for a tenant'),
      );
    }
  }

  /** Expires what is due in one tenant; returns how many orders it expired. */
  async expireIn(tenant: string): Promise<number> {
    const db = await this.databases.forTenant(tenant);
    return this.unitOfWork.run(db, async (tx, emit, afterCommit) => {
      let expired = 0;
      for (const orderId of await this.payments.dueOrderIds(tx, BATCH)) {
        const order = await ordersRepository.findUnlocked(tx, orderId);
        if (!order) continue; // taken by someone else right now: next run
        const result = await this.transitions.apply(
          { tx, emit, afterCommit },
          {
            tenant,
            order,
            to: 'EXPIRED',
            actor: ACTOR,
            reason: 'payment time is up',
          },
        );
        if (result.ok) expired += 1;
        // Not awaiting payment any more (paid, cancelled): only its stale checkout is left to close.
        else await this.effects.closeStaleCheckouts({ tx, emit, afterCommit }, orderId);
      }
      return expired;
    });
  }
}
