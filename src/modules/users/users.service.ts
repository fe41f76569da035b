import { Inject, Injectable } from '@nestjs/common';
import { and, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import type { Role } from '../../common/auth/roles.js';
import { page, type Page } from '../../common/http/pagination.js';
import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { newId } from '../../common/ids.js';
import type { Actor } from '../../common/request-context.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, rowsOf, type Db, type SqlDatabase } from '../../infra/database/sql-database.js';
import { Accounts } from './accounts.js';
import { PasswordHasher } from './password-hasher.js';
import { UserCreated, UserDeleted, UserUpdated } from './user.events.js';
import type { CreateUserBody, ListUsersQuery, UpdateUserBody } from './users.dto.js';
import { summarizeUser, userView, type UserView } from './account.js';
import { UserSessions, type RevokeReason } from './user-sessions.js';
import { usersRepository, type NewUser } from './users.repository.js';
import { users } from './users.tables.js';
import { isUniqueViolation } from '../../infra/database/unique-violation.js';

/**
 * The users admin use cases (ADMIN only; the controller's guard checks the role). Every change emits
 * its event in the same transaction; a change that alters what a user's tokens say or whether they
 * may act at all (disable, delete, role or tenant change) revokes their sessions and, after commit,
 * invalidates the per-request session check in every process, so it takes effect on the next request.
 */
@Injectable()
export class UsersService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
    @Inject(UserSessions) private readonly sessions: UserSessions,
    @Inject(Accounts) private readonly accounts: Accounts,
  ) {}

  async create(input: CreateUserBody): Promise<UserView> {
    const tenantCode = tenantFor(input.role, input.tenantCode ?? null);
    // Cheap checks first, so a doomed request does not pay for a deliberately slow hash.
    await this.control.transaction(async (tx) => {
      if (await usersRepository.emailTaken(tx, input.email)) throw emailTaken();
      if (tenantCode) await requireTenant(tx, tenantCode);
    });
    // Hashing takes ~100 ms and 64 MiB: never while holding a transaction open.
    const passwordHash = await this.passwords.hash(input.password);
    try {
      const user = await this.unitOfWork.run(this.control, async (tx, emit) => {
        if (await usersRepository.emailTaken(tx, input.email)) throw emailTaken();
        if (tenantCode) await requireTenant(tx, tenantCode);
        const created = await usersRepository.insert(tx, {
          id: newId(),
          email: input.email,
          name: input.name,
          phone: input.phone ?? null,
          passwordHash,
          role: input.role,
          tenantCode,
        });
        await emit(UserCreated, { aggregateId: created.id, payload: { after: summarizeUser(created) } });
        return created;
      });
      return userView(user);
    } catch (error) {
      // Two creations with the same email at once: the unique index decides, the loser gets 409.
      if (isUniqueViolation(error)) throw emailTaken();
      throw error;
    }
  }

  async list(query: ListUsersQuery): Promise<Page<UserView>> {
    const filters: SQL[] = [];
    if (query.role) filters.push(eq(users.role, query.role));
    if (query.status) filters.push(eq(users.status, query.status));
    if (query.q) {
      const pattern = `%${escapeLike(query.q)}%`;
      filters.push(or(ilike(users.email, pattern), ilike(users.name, pattern))!);
    }
    const { rows, total } = await this.control.transaction((tx) =>
      usersRepository.page(tx, and(...filters), query.per_page, (query.page - 1) * query.per_page),
    );
    return page(rows.map(userView), query, total);
  }

  async get(id: string): Promise<UserView> {
    const user = await this.control.read((db) => usersRepository.findById(db, id));
    if (!user) throw notFound(id);
    return userView(user);
  }

  async update(actor: Actor, id: string, input: UpdateUserBody): Promise<UserView> {
    const { user, revoked } = await this.unitOfWork.run(this.control, async (tx, emit) => {
      const before = await usersRepository.findByIdForUpdate(tx, id);
      if (!before) throw notFound(id);

      const role = input.role ?? before.role;
      // A MERCHANT keeps its tenant unless told otherwise; any other role has none.
      const requested =
        input.tenantCode !== undefined ? input.tenantCode : role === 'MERCHANT' ? before.tenantCode : null;
      const tenantCode = tenantFor(role, requested);
      const status = input.status ?? before.status;

      if (actor.id === before.id) {
        if (role !== before.role) throw selfLockout('change your own role');
        if (status !== before.status) throw selfLockout('disable your own account');
      }
      if (tenantCode && tenantCode !== before.tenantCode) await requireTenant(tx, tenantCode);

      const changes: Partial<NewUser> = {};
      if (input.name !== undefined && input.name !== before.name) changes.name = input.name;
      if (input.phone !== undefined && input.phone !== before.phone) changes.phone = input.phone;
      if (role !== before.role) changes.role = role;
      if (tenantCode !== before.tenantCode) changes.tenantCode = tenantCode;
      if (status !== before.status) changes.status = status;
      if (Object.keys(changes).length === 0) return { user: before, revoked: false };

      const after = (await usersRepository.update(tx, id, changes))!;
      const reason: RevokeReason | undefined =
        changes.status === 'DISABLED'
          ? 'user_disabled'
          : changes.role
            ? 'role_changed'
            : 'tenantCode' in changes
              ? 'tenant_changed'
              : undefined;
      if (reason) await this.sessions.revokeAllOf(tx, id, reason);
      await emit(UserUpdated, {
        aggregateId: id,
        payload: { before: summarizeUser(before), after: summarizeUser(after) },
      });
      return { user: after, revoked: reason !== undefined };
    });
    if (revoked) await this.sessions.forgetCachedChecksOf(id);
    return userView(user);
  }

  /** Soft delete: the row stays (audit, foreign keys) with status DELETED, and its email stays reserved. */
  async remove(actor: Actor, id: string): Promise<void> {
    if (actor.id === id) throw selfLockout('delete your own account');
    await this.unitOfWork.run(this.control, async (tx, emit) => {
      const before = await usersRepository.findByIdForUpdate(tx, id);
      if (!before) throw notFound(id);
      await usersRepository.update(tx, id, { status: 'DELETED' });
      await this.sessions.revokeAllOf(tx, id, 'user_deleted');
      await emit(UserDeleted, { aggregateId: id, payload: { before: summarizeUser(before) } });
    });
    await this.sessions.forgetCachedChecksOf(id);
    await this.accounts.forgetContact(id);
  }
}

/** The tenant a user of this role must have: required for MERCHANT, forbidden otherwise. */
function tenantFor(role: Role, tenantCode: string | null): string | null {
  if (role === 'MERCHANT' && !tenantCode) {
    throw ProblemException.validation(
      [{ field: 'tenantCode', message: 'required for a MERCHANT' }],
      'A MERCHANT belongs to one tenant: give its tenantCode.',
    );
  }
  if (role !== 'MERCHANT' && tenantCode) {
    throw ProblemException.validation(
      [{ field: 'tenantCode', message: `not allowed for role ${role}` }],
      'Only a MERCHANT belongs to a tenant: leave tenantCode out for other roles.',
    );
  }
  return tenantCode;
}

/**
 * The tenants table belongs to the tenants module. This read-only existence check reaches into it
 * directly because the tenants module imports this one (its owner becomes a MERCHANT through it), so
 * injecting a tenants service here would be a cycle; replace it with an exported lookup when one exists.
 */
async function requireTenant(tx: Db, code: string): Promise<void> {
  const rows = await rowsOf(tx, sql`select 1 from tenants where code = ${code}`);
  if (rows.length === 0) {
    throw ProblemException.validation(
      [{ field: 'tenantCode', message: 'no such tenant' }],
      `There is no tenant "${code}".`,
    );
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

function emailTaken(): ProblemException {
  return new ProblemException(
    problem(409, 'An account with this email already exists.', {
      errors: [{ field: 'email', message: 'already in use (emails are unique whatever their case)' }],
    }),
  );
}

function notFound(id: string): ProblemException {
  return new ProblemException(problem(404, `No user ${id}.`));
}

function selfLockout(action: string): ProblemException {
  return new ProblemException(problem(409, `You cannot ${action}: ask another admin, so an admin always remains.`));
}
