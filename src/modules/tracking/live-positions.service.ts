import type { z } from 'zod';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CLOCK, type Clock } from '../../common/clock.js';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import type { FieldError } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import type { Actor } from '../../common/request-context.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { GEO_INDEX, GeoIndexUnavailableError, LIVE_POSITION_MS, type GeoIndexPort } from '../../infra/geo/geo.port.js';
import { ActiveJobs } from '../dispatch/active-jobs.js';
import { FleetDrivers } from '../fleet/fleet-drivers.js';
import type { orderLocationMessage } from '../realtime/realtime-events.js';
import { RealtimePublisher } from '../realtime/realtime-publisher.js';
import { rooms } from '../realtime/realtime-rooms.js';
import { RealtimeGateway } from '../realtime/realtime.gateway.js';
import { driverPositionsRepository } from './driver-positions.repository.js';
import { parseLocation, type Fix, type LastKnownPosition } from './location.dto.js';
import { driverOffline, liveIndexUnavailable, noKnownPosition, notADriver } from './tracking-problems.js';

/** What `order.location` carries to the sockets watching an order (documented in docs/REALTIME.md). */
export type OrderLocationMessage = z.infer<typeof orderLocationMessage>;

export type LocationAck = { ok: true; accepted: number } | { ok: false; error: string; errors?: FieldError[] };

/**
 * Drivers' live positions (DESIGN §8, §9): a report (REST batch or the socket event
 * `driver.location`) goes to the live index, to the throttled last-known row, and, while the driver
 * serves a job, to the job's trail and the sockets watching its order.
 */
@Injectable()
export class LivePositions implements OnModuleInit {
  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(GEO_INDEX) private readonly geo: GeoIndexPort,
    @Inject(FleetDrivers) private readonly fleet: FleetDrivers,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ActiveJobs) private readonly activeJobs: ActiveJobs,
    @Inject(RealtimePublisher) private readonly publisher: RealtimePublisher,
    @Inject(RealtimeGateway) private readonly gateway: RealtimeGateway,
  ) {}

  onModuleInit(): void {
    this.gateway.handle('driver.location', (actor, payload) => this.fromSocket(actor, payload));
  }

  /**
   * Applies a driver's validated fixes; returns how many it accepted (all). Only the newest fix
   * moves the driver in the live index and the last-known row, each of which ignores a fix older than
   * what it holds, so late or reordered batches are harmless. The index gets the fix's time capped at
   * now: a device clock running ahead must not keep a silent driver looking fresh.
   */
  async report(userId: string, fixes: readonly Fix[]): Promise<number> {
    const newest = fixes.reduce((latest, fix) => (fix.at >= latest.at ? fix : latest));
    const reporter = await this.fleet.presenceOf(userId);
    if (!reporter) throw notADriver();
    if (!reporter.online) throw driverOffline();
    const driverId = reporter.id;
    // Should the driver go offline right now, the row written is still where they were last seen.
    await driverPositionsRepository.persist(this.control, driverId, newest, this.env.DRIVER_POSITION_PERSIST_MS);
    const at = new Date(Math.min(newest.at.getTime(), this.clock.now().getTime()));
    const moved = await this.live(() => this.geo.upsert([{ driverId, lat: newest.lat, lng: newest.lng, at }]));
    const job = await this.activeJobs.of(driverId);
    if (job) {
      // Watchers see the driver move forwards only: a fix older than the index's is not pushed.
      if (moved > 0) {
        const message: OrderLocationMessage = {
          tenant: job.tenant,
          orderId: job.orderId,
          lat: newest.lat,
          lng: newest.lng,
          heading: newest.heading,
          speed: newest.speed,
          at: newest.at.toISOString(),
        };
        this.publisher.publish(
          [rooms.order(job.tenant, job.orderId), rooms.tenant(job.tenant)],
          'order.location',
          message,
        );
      }
      await this.activeJobs.recordTrail(job.jobId, fixes);
    }
    return fixes.length;
  }

  /** The persisted position, for an ADMIN or the driver themself; `live` from the index. */
  async lastKnown(actor: Actor, driverId: string): Promise<LastKnownPosition> {
    // Someone else's position answers like none at all.
    const allowed = actor.role === 'ADMIN' || (await this.fleet.presenceOf(actor.id))?.id === driverId;
    const row = allowed ? await driverPositionsRepository.find(this.control, driverId) : undefined;
    if (!row) throw noKnownPosition(driverId);
    const indexed = await this.live(() => this.geo.position(driverId));
    return {
      lat: row.lat,
      lng: row.lng,
      heading: row.heading,
      speed: row.speed,
      at: row.at.toISOString(),
      live: indexed !== undefined && this.clock.now().getTime() - indexed.at.getTime() <= LIVE_POSITION_MS,
    };
  }

  /** `driver.location` on the socket: the same report, answered by ack. */
  private async fromSocket(actor: Actor, payload: unknown): Promise<LocationAck> {
    if (actor.role !== 'DRIVER') return { ok: false, error: 'only a DRIVER reports positions' };
    const parsed = parseLocation(payload);
    if (!parsed.ok) {
      const error = parsed.errors.map(({ field, message }) => `${field}: ${message}`).join('; ');
      return { ok: false, error, errors: parsed.errors };
    }
    try {
      return { ok: true, accepted: await this.report(actor.id, parsed.fixes) };
    } catch (error) {
      if (error instanceof ProblemException) return { ok: false, error: error.problem.detail ?? error.problem.title };
      throw error;
    }
  }

  private async live<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof GeoIndexUnavailableError) throw liveIndexUnavailable();
      throw error;
    }
  }
}
