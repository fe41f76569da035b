import { Inject, Injectable } from '@nestjs/common';
import { and, eq } from 'drizzle-orm';
import { page, type Page, type PaginationQuery } from '../../common/http/pagination.js';
import { newId } from '../../common/ids.js';
import type { Actor } from '../../common/request-context.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { UserCreated } from '../users/user.events.js';
import { summarize, userView, usersRepository, type User, type UserView } from '../users/users.repository.js';
import { users } from '../users/users.tables.js';
import type { TenantContext } from './tenant-scope.js';
import type { CreateMemberBody } from './tenants.dto.js';
import { isUniqueViolation } from '../../infra/database/unique-violation.js';

export type AddMemberResult = { ok: true; user: User } | { ok: false; reason: 'not_owner' | 'email_taken' };

/**
 * A tenant's staff: its MERCHANT accounts. Accounts live in the control database, so this is the
 * first tenant-scoped feature whose isolation rests on the tenant filter rather than the database.
 */
@Injectable()
export class MembersService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
  ) {}

  async list(tenant: TenantContext, query: PaginationQuery): Promise<Page<UserView>> {
    const { rows, total } = await this.control.transaction((tx) =>
      usersRepository.page(tx, ofTenant(tenant.code), query.per_page, (query.page - 1) * query.per_page),
    );
    return page(rows.map(userView), query, total);
  }

  /** A new MERCHANT of the tenant. Only its owner (or an admin) adds staff; other staff may not. */
  async add(actor: Actor, tenant: TenantContext, input: CreateMemberBody): Promise<AddMemberResult> {
    if (actor.role !== 'ADMIN' && actor.id !== tenant.ownerUserId) return { ok: false, reason: 'not_owner' };
    const taken = await this.control.transaction((tx) => usersRepository.emailTaken(tx, input.email));
    if (taken) return { ok: false, reason: 'email_taken' };
    const passwordHash = await this.passwords.hash(input.password);
    try {
      return await this.unitOfWork.run(this.control, async (tx, emit): Promise<AddMemberResult> => {
        if (await usersRepository.emailTaken(tx, input.email)) return { ok: false, reason: 'email_taken' };
        const user = await usersRepository.insert(tx, {
          id: newId(),
          email: input.email,
          name: input.name,
          phone: input.phone ?? null,
          passwordHash,
          role: 'MERCHANT',
          tenantCode: tenant.code,
        });
        await emit(UserCreated, { aggregateId: user.id, tenant: tenant.code, payload: { after: summarize(user) } });
        return { ok: true, user };
      });
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, reason: 'email_taken' };
      throw error;
    }
  }
}

function ofTenant(code: string) {
  return and(eq(users.role, 'MERCHANT'), eq(users.tenantCode, code));
}
