import { and, eq, ne, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../infra/database/sql-database.js';
import { users } from './users.tables.js';

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;

/** Queries on the users table. Every function takes the transaction it runs in. */
export const usersRepository = {
  async findByEmail(tx: Db, email: string): Promise<User | undefined> {
    const [user] = await tx
      .select()
      .from(users)
      .where(and(sql`lower(${users.email}) = lower(${email})`, ne(users.status, 'DELETED')));
    return user;
  },

  /** Any user with this email, deleted ones included: emails stay reserved. */
  async emailTaken(tx: Db, email: string): Promise<boolean> {
    const [row] = await tx
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.email}) = lower(${email})`);
    return row !== undefined;
  },

  async findById(tx: Db, id: string): Promise<User | undefined> {
    const [user] = await tx
      .select()
      .from(users)
      .where(and(eq(users.id, id), ne(users.status, 'DELETED')));
    return user;
  },

  /** Like findById, and locks the row until the transaction ends: for read-modify-write. */
  async findByIdForUpdate(tx: Db, id: string): Promise<User | undefined> {
    const [user] = await tx
      .select()
      .from(users)
      .where(and(eq(users.id, id), ne(users.status, 'DELETED')))
      .for('update');
    return user;
  },

  async insert(tx: Db, user: NewUser): Promise<User> {
    const [created] = await tx.insert(users).values(user).returning();
    return created!;
  },

  async update(tx: Db, id: string, changes: Partial<NewUser>): Promise<User | undefined> {
    const [updated] = await tx
      .update(users)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(users.id, id))
      .returning();
    return updated;
  },

  async page(tx: Db, where: SQL | undefined, limit: number, offset: number): Promise<{ rows: User[]; total: number }> {
    const filter = where ? and(ne(users.status, 'DELETED'), where) : ne(users.status, 'DELETED');
    const rows = await tx
      .select()
      .from(users)
      .where(filter)
      .orderBy(users.createdAt, users.id)
      .limit(limit)
      .offset(offset);
    const [count] = await tx
      .select({ total: sql<number>`count(*)::int` })
      .from(users)
      .where(filter);
    return { rows, total: Number(count?.total ?? 0) };
  },
};

export function summarize(user: User) {
  return {
    email: user.email,
    name: user.name,
    phone: user.phone,
    role: user.role,
    tenantCode: user.tenantCode,
    status: user.status,
  };
}

/** The public view of a user: what the API returns. */
export function userView(user: User) {
  return {
    id: user.id,
    ...summarize(user),
    createdAt: new Date(user.createdAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
  };
}

export type UserView = ReturnType<typeof userView>;
