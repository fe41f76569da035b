import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, fromNow, type Clock } from '../../common/clock.js';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { newId } from '../../common/ids.js';
import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { UnitOfWork, type Emit } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type Db, type SqlDatabase } from '../../infra/database/sql-database.js';
import { isUniqueViolation } from '../../infra/database/unique-violation.js';
import { GEO_INDEX, LIVE_POSITION_MS, type GeoIndexPort } from '../../infra/geo/geo.port.js';
import { FleetDrivers } from '../fleet/fleet-drivers.js';
import type { RideClass, ServiceRequest } from '../fleet/vehicle-classes.js';
import {
  DispatchFailed,
  DriverAssigned,
  OfferAccepted,
  OfferCreated,
  OfferDeclined,
  OfferExpired,
  OfferWithdrawn,
  type DispatchRequestedPayload,
} from './dispatch.events.js';
import { dispatchRepository, type Job, type Offer } from './dispatch.repository.js';

/** Nearest drivers looked at per radius; busy and ineligible ones are skipped. */
const CANDIDATES = 25;
/** Due offers / searches handled per scheduler tick. */
const BATCH = 50;
/** Job statuses nothing moves on from. */
const FINISHED: readonly string[] = ['DELIVERED', 'CANCELLED', 'FAILED'];

export interface OfferView {
  id: string;
  orderId: string;
  tenant: string;
  kind: string;
  distanceKm: number;
  pickup: { lat: number; lng: number };
  dropoff: { lat: number; lng: number };
  expiresAt: string;
}

const offerNotFound = (id: string) => new ProblemException(problem(404, `You have no offer ${id}.`));

/**
 * Matching (DESIGN §8): a job per order that needs a driver; eligible drivers nearest the pickup,
 * radius expanding; an offer to one driver at a time with a due time; accept is atomic (job row lock,
 * plus unique indexes: one active job per driver, one driver per order); decline or expiry moves to the
 * next candidate; nobody → search again after a backoff; out of retries → `dispatch.failed`.
 */
@Injectable()
export class DispatchService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(GEO_INDEX) private readonly geo: GeoIndexPort,
    @Inject(ENV) private readonly env: Env,
    @Inject(FleetDrivers) private readonly fleet: FleetDrivers,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Opens the order's job (once) and searches for a driver. */
  async request(tx: Db, emit: Emit, tenant: string, request: DispatchRequestedPayload): Promise<void> {
    const job = await dispatchRepository.jobOnce(tx, {
      id: newId(),
      tenant,
      orderId: request.orderId,
      kind: request.kind,
      rideClass: request.rideClass,
      pickupLat: request.pickup.lat,
      pickupLng: request.pickup.lng,
      dropoffLat: request.dropoff.lat,
      dropoffLng: request.dropoff.lng,
      status: 'SEARCHING',
      nextSearchAt: this.clock.now(),
    });
    if (job.status === 'SEARCHING') await this.search(tx, emit, job);
  }

  /** One search round for a SEARCHING job, under its row lock. */
  async search(tx: Db, emit: Emit, job: Job): Promise<void> {
    const service = jobService(job);
    const offered = await dispatchRepository.offeredDrivers(tx, job.id);
    const pickup = { lat: job.pickupLat, lng: job.pickupLng };
    for (const radiusKm of this.env.DISPATCH_RADII_KM) {
      const near = (
        await this.geo.nearest({
          ...pickup,
          radiusKm,
          limit: CANDIDATES,
          freshWithinMs: LIVE_POSITION_MS,
          now: this.clock.now(),
        })
      ).filter((driver) => !offered.has(driver.driverId));
      if (near.length === 0) continue;
      const ids = near.map((driver) => driver.driverId);
      const [eligible, busy] = await Promise.all([
        this.fleet.dispatchable(tx, ids, service),
        dispatchRepository.busyDrivers(tx, ids),
      ]);
      for (const candidate of near) {
        const driver = eligible.get(candidate.driverId);
        if (!driver || busy.has(candidate.driverId)) continue;
        const offer = await dispatchRepository.offer(tx, {
          id: newId(),
          jobId: job.id,
          driverId: driver.driverId,
          distanceKm: candidate.distanceKm,
          expiresAt: fromNow(this.clock, this.env.DISPATCH_OFFER_TTL_MS),
        });
        if (!offer) continue; // offered another job a moment ago
        await dispatchRepository.updateJob(tx, job.id, { status: 'OFFERED', nextSearchAt: null });
        await emit(OfferCreated, {
          aggregateId: offer.id,
          tenant: job.tenant,
          payload: {
            offerId: offer.id,
            jobId: job.id,
            orderId: job.orderId,
            driverId: driver.driverId,
            driverUserId: driver.userId,
            expiresAt: offer.expiresAt.toISOString(),
            distanceKm: candidate.distanceKm,
            pickup,
            dropoff: { lat: job.dropoffLat, lng: job.dropoffLng },
          },
        });
        return;
      }
    }
    await this.nobodyFound(tx, emit, job);
  }

  private async nobodyFound(tx: Db, emit: Emit, job: Job): Promise<void> {
    const delays = this.env.DISPATCH_RETRY_DELAYS_MS;
    const attempts = job.attempts + 1;
    const delay = delays[attempts - 1];
    if (delay === undefined) {
      const reason = `no driver accepted after ${attempts} search rounds`;
      await dispatchRepository.updateJob(tx, job.id, {
        status: 'FAILED',
        attempts,
        nextSearchAt: null,
        failureReason: reason,
        finishedAt: this.clock.now(),
      });
      await emit(DispatchFailed, {
        aggregateId: job.id,
        tenant: job.tenant,
        payload: { jobId: job.id, orderId: job.orderId, reason },
      });
      return;
    }
    await dispatchRepository.updateJob(tx, job.id, {
      status: 'SEARCHING',
      attempts,
      nextSearchAt: fromNow(this.clock, delay),
    });
  }

  /** The signed-in driver's open offers. */
  async offersOf(userId: string): Promise<{ data: OfferView[] }> {
    return this.control.transaction(async (tx) => {
      const driver = await this.fleet.ofUser(tx, userId);
      if (!driver) return { data: [] };
      const open = await dispatchRepository.openOffersOf(tx, driver.id);
      const now = this.clock.now();
      return {
        data: open
          .filter(({ offer }) => offer.expiresAt > now)
          .map(({ offer, job }) => ({
            id: offer.id,
            orderId: job.orderId,
            tenant: job.tenant,
            kind: job.kind,
            distanceKm: offer.distanceKm,
            pickup: { lat: job.pickupLat, lng: job.pickupLng },
            dropoff: { lat: job.dropoffLat, lng: job.dropoffLng },
            expiresAt: offer.expiresAt.toISOString(),
          })),
      };
    });
  }

  /**
   * Takes the job: the offer must be the driver's, open and not past its time, and the job still
   * offered. The job row is locked; the unique index on active jobs refuses a driver a second one.
   */
  async accept(userId: string, offerId: string): Promise<{ orderId: string; tenant: string; status: 'ASSIGNED' }> {
    try {
      return await this.unitOfWork.run(this.control, async (tx, emit) => {
        const { offer, job, driverUserId } = await this.ownOffer(tx, userId, offerId);
        if (offer.status !== 'PENDING') throw offerClosed(offer.status);
        if (offer.expiresAt <= this.clock.now()) throw offerClosed('EXPIRED');
        if (job.status !== 'OFFERED') throw offerClosed('CLOSED');
        const [driver] = [...(await this.fleet.dispatchable(tx, [offer.driverId], jobService(job))).values()];
        if (!driver) throw notDispatchable();
        await dispatchRepository.closeOffer(tx, offer.id, 'ACCEPTED');
        await dispatchRepository.updateJob(tx, job.id, {
          status: 'ASSIGNED',
          driverId: driver.driverId,
          vehicleId: driver.vehicle.id,
          assignedAt: this.clock.now(),
        });
        const ids = { offerId: offer.id, jobId: job.id, orderId: job.orderId, driverId: offer.driverId, driverUserId };
        await emit(OfferAccepted, { aggregateId: offer.id, tenant: job.tenant, payload: ids });
        await emit(DriverAssigned, {
          aggregateId: job.id,
          tenant: job.tenant,
          payload: {
            jobId: job.id,
            orderId: job.orderId,
            driverId: driver.driverId,
            driverUserId,
            driverName: driver.name,
            vehicle: driver.vehicle,
          },
        });
        return { orderId: job.orderId, tenant: job.tenant, status: 'ASSIGNED' as const };
      });
    } catch (error) {
      // The unique index: this driver took another job in a concurrent transaction.
      if (isUniqueViolation(error)) throw new ProblemException(problem(409, 'You already have an active job.'));
      throw error;
    }
  }

  /** Declines the offer; the job goes to the next candidate at once. */
  async decline(userId: string, offerId: string): Promise<{ status: 'DECLINED' }> {
    return this.unitOfWork.run(this.control, async (tx, emit) => {
      const { offer, job, driverUserId } = await this.ownOffer(tx, userId, offerId);
      if (offer.status !== 'PENDING') throw offerClosed(offer.status);
      await this.closeAndMoveOn(tx, emit, offer, job, driverUserId, 'DECLINED');
      return { status: 'DECLINED' as const };
    });
  }

  /** Due offers expire (each moving its job on), and due searches run. One scheduler tick. */
  async runDue(): Promise<void> {
    await this.unitOfWork.run(this.control, async (tx, emit) => {
      for (const due of await dispatchRepository.dueOffers(tx, this.clock.now(), BATCH)) {
        // Job first, then the offer (see ownOffer); re-checked, since someone may have answered it meanwhile.
        const job = (await dispatchRepository.job(tx, due.jobId, true))!;
        const offer = (await dispatchRepository.findOffer(tx, due.id, true))!;
        if (offer.status !== 'PENDING' || offer.expiresAt > this.clock.now()) continue;
        const driver = await this.fleet.find(tx, offer.driverId);
        await this.closeAndMoveOn(tx, emit, offer, job, driver!.userId, 'EXPIRED');
      }
    });
    await this.unitOfWork.run(this.control, async (tx, emit) => {
      const due = await dispatchRepository.dueSearches(tx, this.clock.now(), BATCH);
      for (const job of due) await this.search(tx, emit, job);
    });
  }

  /**
   * The order stopped needing a driver or moved on (cancelled, picked up, delivered): the job follows,
   * an open offer is withdrawn, and the driver is free again once the job is over.
   */
  async orderMoved(
    tx: Db,
    emit: Emit,
    tenant: string,
    orderId: string,
    from: string,
    to: 'CANCELLED' | 'PICKED_UP' | 'DELIVERED',
  ): Promise<void> {
    const job = await dispatchRepository.jobOfOrder(tx, tenant, orderId, true);
    if (!job) {
      // Cancelled while its `dispatch.requested` is still on its way: leave a CANCELLED job behind, so
      // the dispatcher (which only searches for a job it finds SEARCHING) never offers it to anyone.
      if (to === 'CANCELLED' && from === 'DISPATCHING') {
        await dispatchRepository.jobOnce(tx, {
          id: newId(),
          tenant,
          orderId,
          kind: 'DELIVERY',
          // Placeholders: a cancelled job is never searched, so its places are never read.
          pickupLat: 0,
          pickupLng: 0,
          dropoffLat: 0,
          dropoffLng: 0,
          status: 'CANCELLED',
          finishedAt: this.clock.now(),
        });
      }
      return;
    }
    // Events can arrive out of order (retries, prefetch): a finished job never moves again, and pick-up
    // only follows assignment.
    if (FINISHED.includes(job.status)) return;
    if (to === 'PICKED_UP') {
      if (job.status === 'ASSIGNED') {
        await dispatchRepository.updateJob(tx, job.id, { status: 'PICKED_UP', pickedUpAt: this.clock.now() });
      }
      return;
    }
    const open = await dispatchRepository.openOfferOfJob(tx, job.id);
    if (open) {
      await dispatchRepository.closeOffer(tx, open.id, 'CLOSED');
      const driver = await this.fleet.find(tx, open.driverId);
      await emit(OfferWithdrawn, {
        aggregateId: open.id,
        tenant,
        payload: { offerId: open.id, jobId: job.id, orderId, driverId: open.driverId, driverUserId: driver!.userId },
      });
    }
    await dispatchRepository.updateJob(tx, job.id, {
      status: to,
      nextSearchAt: null,
      finishedAt: this.clock.now(),
    });
  }

  private async closeAndMoveOn(
    tx: Db,
    emit: Emit,
    offer: Offer,
    job: Job,
    driverUserId: string,
    status: 'DECLINED' | 'EXPIRED',
  ): Promise<void> {
    await dispatchRepository.closeOffer(tx, offer.id, status);
    await emit(status === 'DECLINED' ? OfferDeclined : OfferExpired, {
      aggregateId: offer.id,
      tenant: job.tenant,
      payload: { offerId: offer.id, jobId: job.id, orderId: job.orderId, driverId: offer.driverId, driverUserId },
    });
    if (job.status !== 'OFFERED') return;
    const searching = await dispatchRepository.updateJob(tx, job.id, { status: 'SEARCHING' });
    await this.search(tx, emit, searching);
  }

  /**
   * The driver's offer and its job, both locked — job first, then offer, the order every dispatch
   * transaction takes them in (a cancel does the same), so two of them never deadlock.
   */
  private async ownOffer(
    tx: Db,
    userId: string,
    offerId: string,
  ): Promise<{ offer: Offer; job: Job; driverUserId: string }> {
    const driver = await this.fleet.ofUser(tx, userId);
    const seen = await dispatchRepository.findOffer(tx, offerId);
    if (!driver || !seen || seen.driverId !== driver.id) throw offerNotFound(offerId);
    const job = (await dispatchRepository.job(tx, seen.jobId, true))!;
    const offer = (await dispatchRepository.findOffer(tx, offerId, true))!;
    return { offer, job, driverUserId: driver.userId };
  }
}

function jobService(job: Job): ServiceRequest {
  return job.kind === 'RIDE' ? { kind: 'RIDE', rideClass: job.rideClass as RideClass } : { kind: 'DELIVERY' };
}

function offerClosed(status: string): ProblemException {
  return new ProblemException(problem(409, `This offer is no longer open (${status}).`, { offerStatus: status }));
}

function notDispatchable(): ProblemException {
  return new ProblemException(
    problem(
      409,
      'You cannot take jobs right now: be online with a verified licence and vehicle, for an active vendor.',
    ),
  );
}
