import { Inject, Injectable } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import { page, type Page } from '../../common/http/pagination.js';
import { newId } from '../../common/ids.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { takeDriversOffline } from './driver-offline.js';
import { driversRepository } from './drivers.repository.js';
import { vendorHasDrivers, vendorNotFound } from './fleet-problems.js';
import { VendorCreated, VendorDeleted, VendorUpdated } from './fleet.events.js';
import { drivers } from './fleet.tables.js';
import type { CreateVendorBody, ListVendorsQuery, UpdateVendorBody, VendorView } from './vendors.dto.js';
import { summarizeVendor, vendorView, vendorsRepository, type NewVendor } from './vendors.repository.js';

/**
 * Vendors (fleet operators), managed by ADMINs: organisations without logins for now. Suspending one
 * takes its online drivers offline in the same transaction; they cannot go online again until it is
 * ACTIVE. A vendor with drivers cannot be deleted (suspend it instead).
 */
@Injectable()
export class VendorsService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
  ) {}

  async list(query: ListVendorsQuery): Promise<Page<VendorView>> {
    const { rows, total } = await this.control.transaction((tx) =>
      vendorsRepository.page(
        tx,
        { status: query.status, q: query.q },
        query.per_page,
        (query.page - 1) * query.per_page,
      ),
    );
    return page(rows.map(vendorView), query, total);
  }

  async get(id: string): Promise<VendorView> {
    const vendor = await this.control.read((db) => vendorsRepository.find(db, id));
    if (!vendor) throw vendorNotFound(id);
    return vendorView(vendor);
  }

  async create(input: CreateVendorBody): Promise<VendorView> {
    const created = await this.unitOfWork.run(this.control, async (tx, emit) => {
      const vendor = await vendorsRepository.insert(tx, {
        id: newId(),
        name: input.name,
        contactEmail: input.contactEmail,
        contactPhone: input.contactPhone ?? null,
        status: input.status ?? 'ACTIVE',
      });
      await emit(VendorCreated, { aggregateId: vendor.id, payload: { after: summarizeVendor(vendor) } });
      return vendor;
    });
    return vendorView(created);
  }

  async update(id: string, input: UpdateVendorBody): Promise<VendorView> {
    const updated = await this.unitOfWork.run(this.control, async (tx, emit) => {
      // Locked first, then its drivers: the same order as a driver going online (vendor, then driver).
      const before = await vendorsRepository.find(tx, id, 'update');
      if (!before) throw vendorNotFound(id);
      const changes: Partial<NewVendor> = {};
      for (const field of ['name', 'contactEmail', 'contactPhone', 'status'] as const) {
        const value = input[field];
        if (value !== undefined && value !== before[field]) Object.assign(changes, { [field]: value });
      }
      if (Object.keys(changes).length === 0) return before;
      const after = await vendorsRepository.update(tx, id, changes);
      await emit(VendorUpdated, {
        aggregateId: id,
        payload: { before: summarizeVendor(before), after: summarizeVendor(after) },
      });
      if (changes.status === 'SUSPENDED') {
        await takeDriversOffline(tx, emit, eq(drivers.vendorId, id), 'vendor_suspended');
      }
      return after;
    });
    return vendorView(updated);
  }

  async remove(id: string): Promise<void> {
    await this.unitOfWork.run(this.control, async (tx, emit) => {
      const before = await vendorsRepository.find(tx, id, 'update');
      if (!before) throw vendorNotFound(id);
      if (await driversRepository.vendorHasDrivers(tx, id)) throw vendorHasDrivers(id);
      await vendorsRepository.delete(tx, id);
      await emit(VendorDeleted, { aggregateId: id, payload: { before: summarizeVendor(before) } });
    });
  }
}
