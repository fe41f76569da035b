import { Inject, Injectable } from '@nestjs/common';
import { page, type Page, type PaginationQuery } from '../../common/http/pagination.js';
import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { newId } from '../../common/ids.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { AddressCreated, AddressDeleted, AddressUpdated } from './address.events.js';
import { addressesRepository, addressView, summarize, type NewAddress } from './addresses.repository.js';
import type { AddressView, CreateAddressBody, UpdateAddressBody } from './customers.dto.js';

/**
 * A customer's saved delivery addresses. Every call is scoped to the signed-in user: someone else's
 * address answers 404, exactly like one that does not exist. Exported so orders can resolve an
 * `addressId` for its customer.
 */
@Injectable()
export class AddressesService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
  ) {}

  async list(userId: string, query: PaginationQuery): Promise<Page<AddressView>> {
    const { rows, total } = await this.control.transaction((tx) =>
      addressesRepository.page(tx, userId, query.per_page, (query.page - 1) * query.per_page),
    );
    return page(rows.map(addressView), query, total);
  }

  /** The user's address, or undefined when it does not exist or is someone else's. */
  async find(userId: string, id: string): Promise<AddressView | undefined> {
    const address = await this.control.read((db) => addressesRepository.find(db, userId, id));
    return address ? addressView(address) : undefined;
  }

  async get(userId: string, id: string): Promise<AddressView> {
    const address = await this.find(userId, id);
    if (!address) throw addressNotFound(id);
    return address;
  }

  async create(userId: string, input: CreateAddressBody): Promise<AddressView> {
    const created = await this.unitOfWork.run(this.control, async (tx, emit) => {
      const address = await addressesRepository.insert(tx, {
        id: newId(),
        userId,
        label: input.label,
        address: input.address,
        lat: input.lat,
        lng: input.lng,
        notes: input.notes ?? null,
      });
      await emit(AddressCreated, { aggregateId: address.id, payload: { after: summarize(address) } });
      return address;
    });
    return addressView(created);
  }

  async update(userId: string, id: string, input: UpdateAddressBody): Promise<AddressView> {
    const updated = await this.unitOfWork.run(this.control, async (tx, emit) => {
      const before = await addressesRepository.find(tx, userId, id, true);
      if (!before) throw addressNotFound(id);
      const changes: Partial<NewAddress> = {};
      for (const field of ['label', 'address', 'lat', 'lng', 'notes'] as const) {
        const value = input[field];
        if (value !== undefined && value !== before[field]) Object.assign(changes, { [field]: value });
      }
      if (Object.keys(changes).length === 0) return before;
      const after = await addressesRepository.update(tx, id, changes);
      await emit(AddressUpdated, { aggregateId: id, payload: { before: summarize(before), after: summarize(after) } });
      return after;
    });
    return addressView(updated);
  }

  /** Hard delete: orders keep their own copy of the drop-off (address text and coordinates). */
  async remove(userId: string, id: string): Promise<void> {
    await this.unitOfWork.run(this.control, async (tx, emit) => {
      const before = await addressesRepository.find(tx, userId, id, true);
      if (!before) throw addressNotFound(id);
      await addressesRepository.delete(tx, id);
      await emit(AddressDeleted, { aggregateId: id, payload: { before: summarize(before) } });
    });
  }
}

function addressNotFound(id: string): ProblemException {
  return new ProblemException(problem(404, `You have no address ${id}.`));
}
