import { Inject, Injectable } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import { CLOCK, type Clock } from '../../common/clock.js';
import { page, type Page } from '../../common/http/pagination.js';
import { newId } from '../../common/ids.js';
import type { Actor } from '../../common/request-context.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { isUniqueViolation } from '../../infra/database/unique-violation.js';
import { Accounts } from '../users/accounts.js';
import { takeDriversOffline } from './driver-offline.js';
import type { DriverView, ListDriversQuery, RegisterDriverBody } from './drivers.dto.js';
import { driversRepository, driverView, summarizeDriver } from './drivers.repository.js';
import {
  alreadyRegistered,
  driverNotFound,
  illegalDriverTransition,
  licenceTaken,
  noDriverProfile,
  notACustomer,
  unknownVendor,
} from './fleet-problems.js';
import { canTransitionDriver } from './fleet-states.js';
import { DriverRegistered, DriverRejected, DriverVerified } from './fleet.events.js';
import { drivers } from './fleet.tables.js';
import { vendorsRepository } from './vendors.repository.js';

/**
 * Drivers: a CUSTOMER registers (and becomes a DRIVER), ADMINs verify or reject the licence, and
 * drivers and ADMINs read them. Availability and the active vehicle are DriverAvailabilityService's.
 */
@Injectable()
export class DriversService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(Accounts) private readonly accounts: Accounts,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * The driver row and the user's role change (CUSTOMER → DRIVER, through the users module's
   * Accounts) commit together with `driver.registered` and `user.updated`. After the commit every
   * process drops its cached session check, so the caller's CUSTOMER access tokens are refused from
   * the next request; the caller refreshes (POST /api/auth/refresh) to get a DRIVER token, since refreshing signs the
   * account's current role.
   */
  async register(actor: Actor, input: RegisterDriverBody): Promise<DriverView> {
    let registered;
    try {
      registered = await this.unitOfWork.run(this.control, async (tx, emit) => {
        if (await driversRepository.findByUser(tx, actor.id)) throw alreadyRegistered();
        // Shared lock: the vendor cannot be deleted under a registration naming it.
        if (!(await vendorsRepository.find(tx, input.vendorId, 'share'))) throw unknownVendor(input.vendorId);
        const user = await this.accounts.switchOwnRole(tx, emit, actor.id, 'CUSTOMER', 'DRIVER');
        if (!user) throw notACustomer();
        const driver = await driversRepository.insert(tx, {
          id: newId(),
          userId: actor.id,
          vendorId: input.vendorId,
          licenceNumber: input.licenceNumber,
          licenceClass: input.licenceClass,
          licenceExpiry: input.licenceExpiry,
          phone: input.phone,
          status: 'PENDING',
        });
        await emit(DriverRegistered, {
          aggregateId: driver.id,
          payload: { userId: actor.id, after: summarizeDriver(driver) },
        });
        return driver;
      });
    } catch (error) {
      // Two registrations at once, or a licence number someone else registered.
      if (isUniqueViolation(error)) {
        const mine = await this.control.read((db) => driversRepository.findByUser(db, actor.id));
        throw mine ? alreadyRegistered() : licenceTaken();
      }
      throw error;
    }
    await this.accounts.forgetCachedSessions(actor.id);
    return driverView(registered);
  }

  async mine(userId: string): Promise<DriverView> {
    const driver = await this.control.read((db) => driversRepository.findByUser(db, userId));
    if (!driver) throw noDriverProfile();
    return driverView(driver);
  }

  async list(query: ListDriversQuery): Promise<Page<DriverView>> {
    const { rows, total } = await this.control.transaction((tx) =>
      driversRepository.page(
        tx,
        { status: query.status, vendorId: query.vendorId },
        query.per_page,
        (query.page - 1) * query.per_page,
      ),
    );
    return page(rows.map(driverView), query, total);
  }

  /** An ADMIN reads any driver; a driver only themself (anyone else's is a 404, like a missing one). */
  async get(actor: Actor, id: string): Promise<DriverView> {
    const driver = await this.control.read((db) => driversRepository.find(db, id));
    if (!driver || (actor.role !== 'ADMIN' && driver.userId !== actor.id)) throw driverNotFound(id);
    return driverView(driver);
  }

  async verify(id: string): Promise<DriverView> {
    const verified = await this.unitOfWork.run(this.control, async (tx, emit) => {
      const before = await driversRepository.find(tx, id, true);
      if (!before) throw driverNotFound(id);
      if (!canTransitionDriver(before.status, 'VERIFIED')) throw illegalDriverTransition(before.status, 'VERIFIED');
      const after = await driversRepository.update(tx, id, {
        status: 'VERIFIED',
        rejectionReason: null,
        verifiedAt: this.clock.now(),
      });
      await emit(DriverVerified, {
        aggregateId: id,
        payload: { userId: after.userId, before: { status: before.status }, after: { status: 'VERIFIED' } },
      });
      return after;
    });
    return driverView(verified);
  }

  /** Rejecting (or revoking) a licence takes the driver offline in the same transaction. */
  async reject(id: string, reason: string): Promise<DriverView> {
    const rejected = await this.unitOfWork.run(this.control, async (tx, emit) => {
      const before = await driversRepository.find(tx, id, true);
      if (!before) throw driverNotFound(id);
      if (!canTransitionDriver(before.status, 'REJECTED')) throw illegalDriverTransition(before.status, 'REJECTED');
      await takeDriversOffline(tx, emit, eq(drivers.id, id), 'licence_rejected');
      const after = await driversRepository.update(tx, id, {
        status: 'REJECTED',
        rejectionReason: reason,
        verifiedAt: null,
      });
      await emit(DriverRejected, {
        aggregateId: id,
        payload: { userId: after.userId, before: { status: before.status }, after: { status: 'REJECTED', reason } },
      });
      return after;
    });
    return driverView(rejected);
  }
}
