import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import { CLOCK, type Clock } from '../../common/clock.js';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import type { Actor } from '../../common/request-context.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { RIDE_CLASSES, type RideClass } from '../fleet/vehicle-classes.js';
import type { OrderView } from '../orders/orders.dto.js';
import { OrdersService } from '../orders/orders.service.js';
import { ReadyTenants } from '../tenants/ready-tenants.js';
import { TenantsService } from '../tenants/tenants.service.js';
import { DEFAULT_FARES, estimateFare, fareSchema, type Fare } from './fares.js';
import { MAX_SCHEDULE_DAYS, type RequestRideBody } from './rides.dto.js';

/**
 * Rides (car ordering). Decision: ride orders live in a platform tenant (RIDES_TENANT, default
 * `rides`), created and provisioned at start, so a ride is an order like any other — same table,
 * transitions, payments, expiry, dispatch, realtime and audit — with kind RIDE and no items.
 */
@Injectable()
export class RidesService implements OnApplicationBootstrap {
  private readonly fares: Record<RideClass, Fare>;

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(TenantsService) private readonly tenantsService: TenantsService,
    @Inject(ReadyTenants) private readonly tenants: ReadyTenants,
    @Inject(OrdersService) private readonly orders: OrdersService,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.fares = { ...DEFAULT_FARES, ...parseFares(env.RIDE_FARES) };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.tenantsService
      .ensurePlatformTenant({ code: this.env.RIDES_TENANT, name: 'Ordo rides', currency: this.env.RIDES_CURRENCY })
      .catch((error: unknown) => this.log.error({ err: error }, 'could not set up the rides tenant'));
  }

  estimate(body: Pick<RequestRideBody, 'pickup' | 'dropoff' | 'vehicleClass'>) {
    return {
      ...estimateFare(this.fares[body.vehicleClass], body.pickup, body.dropoff),
      currency: this.env.RIDES_CURRENCY,
    };
  }

  async request(actor: Actor, body: RequestRideBody, orderId: string): Promise<OrderView> {
    if (body.scheduledAt !== undefined) this.assertBookable(Date.parse(body.scheduledAt));
    const tenant = await this.tenants.find(this.env.RIDES_TENANT);
    if (!tenant) {
      throw new ProblemException(problem(503, 'Rides are being set up; try again in a moment.'));
    }
    const { amount } = this.estimate(body);
    return this.orders.placeRide(
      tenant,
      actor,
      {
        pickup: body.pickup,
        dropoff: body.dropoff,
        vehicleClass: body.vehicleClass,
        ...(body.scheduledAt ? { scheduledAt: new Date(body.scheduledAt) } : {}),
        ...(body.note ? { note: body.note } : {}),
        fare: amount,
      },
      orderId,
    );
  }

  /** A ride for later must be in the future and at most MAX_SCHEDULE_DAYS ahead (400 naming the field). */
  private assertBookable(at: number): void {
    const now = this.clock.now().getTime();
    const message =
      at <= now
        ? 'must be in the future'
        : at > now + MAX_SCHEDULE_DAYS * 86_400_000
          ? `at most ${MAX_SCHEDULE_DAYS} days ahead`
          : undefined;
    if (message) throw ProblemException.validation([{ field: 'scheduledAt', message }]);
  }
}

/** RIDE_FARES, validated at start: a typo must not silently price rides at the defaults. */
function parseFares(json: string | undefined): Partial<Record<RideClass, Fare>> {
  if (!json) return {};
  const schema = z.partialRecord(z.enum(RIDE_CLASSES), fareSchema);
  const parsed = schema.safeParse(JSON.parse(json));
  if (!parsed.success) throw new Error(`RIDE_FARES is invalid: ${parsed.error.message}`);
  return parsed.data;
}
