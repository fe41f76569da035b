import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../../common/clock.js';
import { page, type Page } from '../../common/http/pagination.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { newId } from '../../common/ids.js';
import type { Actor } from '../../common/request-context.js';
import { UnitOfWork, type Emit } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type Db, type SqlDatabase } from '../../infra/database/sql-database.js';
import { isUniqueViolation } from '../../infra/database/unique-violation.js';
import { driversRepository, type Driver } from './drivers.repository.js';
import { noDriverProfile, plateTaken, vehicleInUse, vehicleNotFound } from './fleet-problems.js';
import { canTransitionVehicle } from './fleet-states.js';
import { VehicleDeleted, VehicleSubmitted, VehicleUpdated } from './fleet.events.js';
import type { CreateVehicleBody, ListVehiclesQuery, UpdateVehicleBody, VehicleView } from './vehicles.dto.js';
import { summarizeVehicle, vehiclesRepository, vehicleView, type NewVehicle } from './vehicles.repository.js';

/** What the verifier looks at: changing any of it sends the vehicle back to SUBMITTED. */
const VERIFIED_FIELDS = ['plate', 'year', 'class', 'capacity', 'insuranceExpiry', 'inspectionExpiry'] as const;

/**
 * Vehicles, by their driver (their own only: anyone else's is a 404) or an ADMIN (any). Creating a
 * vehicle, or changing what verification looks at, sets it SUBMITTED and emits `vehicle.submitted` in
 * the same transaction; the `vehicle-verifier` consumer decides. Plates are unique across the platform
 * among vehicles that are not deleted.
 */
@Injectable()
export class VehiclesService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(actor: Actor, input: CreateVehicleBody): Promise<VehicleView> {
    const created = await this.writing(input.plate, async (tx, emit) => {
      const driver = await this.ownerFor(tx, actor, input.driverId);
      const vehicle = await vehiclesRepository.insert(tx, {
        id: newId(),
        driverId: driver.id,
        plate: input.plate,
        make: input.make,
        model: input.model,
        year: input.year,
        class: input.class,
        capacity: input.capacity,
        insuranceExpiry: input.documents.insuranceExpiry,
        inspectionExpiry: input.documents.inspectionExpiry,
        status: 'SUBMITTED',
      });
      await emit(VehicleSubmitted, {
        aggregateId: vehicle.id,
        payload: { vehicleId: vehicle.id, driverId: driver.id, before: null, after: summarizeVehicle(vehicle) },
      });
      return vehicle;
    });
    return vehicleView(created);
  }

  async list(actor: Actor, query: ListVehiclesQuery): Promise<Page<VehicleView>> {
    const { rows, total } = await this.control.transaction(async (tx) => {
      let ownerId: string | undefined;
      if (actor.role !== 'ADMIN') {
        // A DRIVER account without a driver profile (made by an admin) simply has no vehicles.
        const driver = await driversRepository.findByUser(tx, actor.id);
        if (!driver) return { rows: [], total: 0 };
        ownerId = driver.id;
      }
      return vehiclesRepository.page(
        tx,
        { ownerId, driverId: query.driverId, status: query.status, class: query.class },
        query.per_page,
        (query.page - 1) * query.per_page,
      );
    });
    return page(rows.map(vehicleView), query, total);
  }

  async get(actor: Actor, id: string): Promise<VehicleView> {
    const vehicle = await this.control.transaction(async (tx) =>
      vehiclesRepository.find(tx, id, { driverId: await this.scopeOf(tx, actor, id) }),
    );
    if (!vehicle) throw vehicleNotFound(id);
    return vehicleView(vehicle);
  }

  async update(actor: Actor, id: string, input: UpdateVehicleBody): Promise<VehicleView> {
    const updated = await this.writing(input.plate, async (tx, emit) => {
      const before = await vehiclesRepository.find(tx, id, {
        driverId: await this.scopeOf(tx, actor, id),
        lock: 'update',
      });
      if (!before) throw vehicleNotFound(id);
      const requested: Partial<NewVehicle> = {
        plate: input.plate,
        make: input.make,
        model: input.model,
        year: input.year,
        class: input.class,
        capacity: input.capacity,
        insuranceExpiry: input.documents?.insuranceExpiry,
        inspectionExpiry: input.documents?.inspectionExpiry,
      };
      const changes: Partial<NewVehicle> = {};
      for (const [field, value] of Object.entries(requested) as [keyof NewVehicle, unknown][]) {
        if (value !== undefined && value !== before[field]) Object.assign(changes, { [field]: value });
      }
      if (Object.keys(changes).length === 0) return before;
      const resubmit = VERIFIED_FIELDS.some((field) => field in changes);
      if (!resubmit) {
        const after = await vehiclesRepository.update(tx, id, changes);
        await emit(VehicleUpdated, {
          aggregateId: id,
          payload: {
            vehicleId: id,
            driverId: after.driverId,
            before: summarizeVehicle(before),
            after: summarizeVehicle(after),
          },
        });
        return after;
      }
      // The vehicle stops being VERIFIED: not while its driver is online with it (read, not locked:
      // a driver going online meanwhile waits for this row and then sees SUBMITTED).
      const driver = (await driversRepository.find(tx, before.driverId))!;
      if (driver.online && driver.activeVehicleId === id) throw vehicleInUse(before.plate, 'change it');
      if (!canTransitionVehicle(before.status, 'SUBMITTED'))
        throw new Error(`vehicle ${id}: ${before.status} → SUBMITTED`);
      const after = await vehiclesRepository.update(tx, id, {
        ...changes,
        status: 'SUBMITTED',
        rejectionReasons: [],
        verifiedAt: null,
      });
      await emit(VehicleSubmitted, {
        aggregateId: id,
        payload: {
          vehicleId: id,
          driverId: after.driverId,
          before: summarizeVehicle(before),
          after: summarizeVehicle(after),
        },
      });
      return after;
    });
    return vehicleView(updated);
  }

  /**
   * Soft delete (trips will refer to the vehicle); its plate is free again. Refused while its driver
   * is online with it; if it was the active vehicle, the driver has none afterwards.
   */
  async remove(actor: Actor, id: string): Promise<void> {
    await this.unitOfWork.run(this.control, async (tx, emit) => {
      const seen = await vehiclesRepository.find(tx, id, { driverId: await this.scopeOf(tx, actor, id) });
      if (!seen) throw vehicleNotFound(id);
      // Driver first, then vehicle: the order going online and selecting a vehicle lock them in.
      const driver = (await driversRepository.find(tx, seen.driverId, true))!;
      const active = driver.activeVehicleId === id;
      if (active && driver.online) throw vehicleInUse(seen.plate, 'delete it');
      const before = await vehiclesRepository.find(tx, id, { lock: 'update' });
      if (!before) throw vehicleNotFound(id);
      await vehiclesRepository.update(tx, id, { deletedAt: this.clock.now() });
      if (active) await driversRepository.update(tx, driver.id, { activeVehicleId: null });
      await emit(VehicleDeleted, {
        aggregateId: id,
        payload: { vehicleId: id, driverId: before.driverId, wasActive: active, before: summarizeVehicle(before) },
      });
    });
  }

  /** The driver a new vehicle belongs to: a DRIVER's own profile, or the one an ADMIN names. */
  private async ownerFor(tx: Db, actor: Actor, driverId: string | undefined): Promise<Driver> {
    if (actor.role === 'ADMIN') {
      if (!driverId) throw ProblemException.validation([{ field: 'driverId', message: 'required for an ADMIN' }]);
      const driver = await driversRepository.find(tx, driverId);
      if (!driver) throw ProblemException.validation([{ field: 'driverId', message: 'no such driver' }]);
      return driver;
    }
    if (driverId !== undefined) {
      throw ProblemException.validation([
        { field: 'driverId', message: 'leave it out: a driver registers vehicles for themselves' },
      ]);
    }
    const driver = await driversRepository.findByUser(tx, actor.id);
    if (!driver) throw noDriverProfile();
    return driver;
  }

  /**
   * Whose vehicles the actor may touch: undefined for an ADMIN (any), else their driver id. A DRIVER
   * account without a driver profile may touch none: the vehicle is then not found.
   */
  private async scopeOf(tx: Db, actor: Actor, vehicleId: string): Promise<string | undefined> {
    if (actor.role === 'ADMIN') return undefined;
    const driver = await driversRepository.findByUser(tx, actor.id);
    if (!driver) throw vehicleNotFound(vehicleId);
    return driver.id;
  }

  /** A write whose plate may clash with another vehicle's: the unique index decides, the loser gets 409. */
  private async writing<T>(plate: string | undefined, work: (tx: Db, emit: Emit) => Promise<T>): Promise<T> {
    try {
      return await this.unitOfWork.run(this.control, work);
    } catch (error) {
      if (plate !== undefined && isUniqueViolation(error)) throw plateTaken(plate);
      throw error;
    }
  }
}
