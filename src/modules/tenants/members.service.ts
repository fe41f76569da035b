import { Inject, Injectable } from '@nestjs/common';
import { page, type Page, type PaginationQuery } from '../../common/http/pagination.js';
import type { Actor } from '../../common/request-context.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import type { Account, UserView } from '../users/account.js';
import { Accounts } from '../users/accounts.js';
import { PasswordHasher } from '../users/password-hasher.js';
import type { TenantContext } from './tenant-scope.js';
import type { CreateMemberBody } from './tenants.dto.js';
import { isUniqueViolation } from '../../infra/database/unique-violation.js';

export type AddMemberResult = { ok: true; user: Account } | { ok: false; reason: 'not_owner' | 'email_taken' };

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
    @Inject(Accounts) private readonly accounts: Accounts,
  ) {}

  async list(tenant: TenantContext, query: PaginationQuery): Promise<Page<UserView>> {
    const { rows, total } = await this.accounts.merchantsOf(
      tenant.code,
      query.per_page,
      (query.page - 1) * query.per_page,
    );
    return page(rows, query, total);
  }

  /** A new MERCHANT of the tenant. Only its owner (or an admin) adds staff; other staff may not. */
  async add(actor: Actor, tenant: TenantContext, input: CreateMemberBody): Promise<AddMemberResult> {
    if (actor.role !== 'ADMIN' && actor.id !== tenant.ownerUserId) return { ok: false, reason: 'not_owner' };
    if (await this.accounts.emailTaken(input.email)) return { ok: false, reason: 'email_taken' };
    const passwordHash = await this.passwords.hash(input.password);
    const { email, name, phone } = input;
    try {
      return await this.unitOfWork.run(this.control, async (tx, emit): Promise<AddMemberResult> => {
        if (await this.accounts.emailTaken(email, tx)) return { ok: false, reason: 'email_taken' };
        const user = await this.accounts.create(tx, emit, {
          email,
          name,
          phone,
          passwordHash,
          role: 'MERCHANT',
          tenantCode: tenant.code,
        });
        return { ok: true, user };
      });
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, reason: 'email_taken' };
      throw error;
    }
  }
}
