import { Inject, Injectable } from '@nestjs/common';
import { and, eq } from 'drizzle-orm';
import type { Role } from '../../common/auth/roles.js';
import { newId } from '../../common/ids.js';
import { actingAs } from '../../infra/bus/outbox.js';
import type { Emit } from '../../infra/bus/unit-of-work.js';
import { CACHE, type CachePort } from '../../infra/cache/cache.port.js';
import { CONTROL_DATABASE, type Db, type SqlDatabase } from '../../infra/database/sql-database.js';
import { summarizeUser, userView, type Account, type UserView } from './account.js';
import { UserCreated, UserRegistered, UserUpdated } from './user.events.js';
import { UserSessions } from './user-sessions.js';
import { usersRepository } from './users.repository.js';
import { users } from './users.tables.js';

const CONTACT_TTL_MS = 10 * 60_000;
const contactTag = (id: string) => `account:${id}`;

/** An account about to be made. Hash the password first, outside any transaction (it is slow on purpose). */
export interface NewAccount {
  email: string;
  name: string;
  phone?: string | null;
  passwordHash: string;
  role: Role;
  /** Required for a MERCHANT (the database refuses one without), null otherwise. */
  tenantCode?: string | null;
}

/**
 * The users module's face: what other modules (auth, tenants, fleet) may know and do about accounts,
 * so none of them reads or writes the users table. Methods that take `tx` run in the caller's
 * transaction (so an account commits with whatever it belongs to); where `tx` is optional, they run
 * in a transaction of their own without one. Account changes emit their `user.*` event through the
 * caller's `emit`. The admin use cases on accounts are `UsersService`'s.
 */
@Injectable()
export class Accounts {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UserSessions) private readonly sessions: UserSessions,
    @Inject(CACHE) private readonly cache: CachePort,
  ) {}

  /**
   * Where to reach the account (id and email), unless it was deleted: what the notifier needs for every
   * message it sends, so it comes from the cache. An email never changes; deleting an account drops it
   * (`forgetContact`) in every process.
   */
  async contactOf(id: string): Promise<{ id: string; email: string } | undefined> {
    const contact = await this.cache.wrap(
      `account-contact:${id}`,
      { ttlMs: CONTACT_TTL_MS, tags: [contactTag(id)] },
      async () => {
        const account = await this.findById(id);
        return account ? { id: account.id, email: account.email } : null;
      },
    );
    return contact ?? undefined;
  }

  /** Call after an account was deleted. */
  forgetContact(id: string): Promise<void> {
    return this.cache.invalidateTags([contactTag(id)]);
  }

  /** The account with this email, in any case, unless deleted: who is signing in. */
  findByEmail(email: string, tx?: Db): Promise<Account | undefined> {
    return this.within(tx, (db) => usersRepository.findByEmail(db, email));
  }

  /** The account, unless deleted. */
  findById(id: string, tx?: Db): Promise<Account | undefined> {
    return this.within(tx, (db) => usersRepository.findById(db, id));
  }

  /** Whether any account, deleted ones included, uses this email in any case: emails stay reserved. */
  emailTaken(email: string, tx?: Db): Promise<boolean> {
    return this.within(tx, (db) => usersRepository.emailTaken(db, email));
  }

  /** Whether an ADMIN account was ever made, whatever its status now. */
  adminExists(tx: Db): Promise<boolean> {
    return usersRepository.anyWithRole(tx, 'ADMIN');
  }

  /**
   * Makes an account for someone (an admin at start-up, a tenant's owner or staff) and emits
   * `user.created`, filed under the account's tenant if it has one. A taken email fails on the
   * unique index (`isUniqueViolation`): check `emailTaken` first, in the same transaction.
   */
  async create(tx: Db, emit: Emit, input: NewAccount): Promise<Account> {
    const account = await usersRepository.insert(tx, { ...input, id: newId(), phone: input.phone ?? null });
    await emit(UserCreated, {
      aggregateId: account.id,
      tenant: account.tenantCode,
      payload: { after: summarizeUser(account) },
    });
    return account;
  }

  /**
   * A CUSTOMER signing themselves up: emits `user.registered` with the new account as its actor (the
   * request has no signed-in one). A taken email fails on the unique index, as for `create`.
   */
  async register(tx: Db, emit: Emit, input: Omit<NewAccount, 'role' | 'tenantCode'>): Promise<Account> {
    const account = await usersRepository.insert(tx, {
      ...input,
      id: newId(),
      phone: input.phone ?? null,
      role: 'CUSTOMER',
    });
    await emit(UserRegistered, {
      aggregateId: account.id,
      payload: { after: summarizeUser(account) },
      meta: actingAs(account),
    });
    return account;
  }

  /**
   * A user moves themselves from one role to another (a CUSTOMER registering as a DRIVER), inside the
   * caller's unit of work so the change commits with whatever it enables. Unlike an admin's role
   * change, their sessions stay: refreshing one now issues tokens with the new role, while access
   * tokens carrying the old role are refused by the verifier (it compares the token's role with the
   * account's) once `forgetCachedSessions` has run after the commit. Emits `user.updated`.
   * Returns undefined, changing nothing, when the user does not hold `from` (any more).
   */
  async switchOwnRole(tx: Db, emit: Emit, userId: string, from: Role, to: Role): Promise<UserView | undefined> {
    if (from === 'MERCHANT' || to === 'MERCHANT')
      throw new Error('a MERCHANT belongs to a tenant: not a self-service role');
    const before = await usersRepository.findByIdForUpdate(tx, userId);
    if (!before || before.role !== from || before.status !== 'ACTIVE') return undefined;
    const after = (await usersRepository.update(tx, userId, { role: to }))!;
    await emit(UserUpdated, {
      aggregateId: userId,
      payload: { before: summarizeUser(before), after: summarizeUser(after) },
    });
    return userView(after);
  }

  /** After a commit that changed what a user's tokens may say: every process re-checks their sessions. */
  forgetCachedSessions(userId: string): Promise<void> {
    return this.sessions.forgetCachedChecksOf(userId);
  }

  /** A tenant's staff (its MERCHANT accounts), oldest first. */
  merchantsOf(tenantCode: string, limit: number, offset: number): Promise<{ rows: UserView[]; total: number }> {
    const ofTenant = and(eq(users.role, 'MERCHANT'), eq(users.tenantCode, tenantCode));
    return this.control.transaction(async (tx) => {
      const { rows, total } = await usersRepository.page(tx, ofTenant, limit, offset);
      return { rows: rows.map(userView), total };
    });
  }

  /** The names of these users (deleted ones too: a name on a past record stays), by id. */
  namesOf(tx: Db, userIds: readonly string[]): Promise<Map<string, string>> {
    return usersRepository.namesOf(tx, userIds);
  }

  /** In the caller's transaction, or as a read of its own (every use is one statement). */
  private within<T>(tx: Db | undefined, work: (tx: Db) => Promise<T>): Promise<T> {
    return tx ? work(tx) : this.control.read(work);
  }
}
