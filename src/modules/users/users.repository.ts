import { and, eq, inArray, ne, sql, type SQL } from 'drizzle-orm';
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

  /** Whether an account with this role was ever made, whatever its status now. */
  async anyWithRole(tx: Db, role: User['role']): Promise<boolean> {
    const [row] = await tx.select({ id: users.id }).from(users).where(eq(users.role, role)).limit(1);
    return row !== undefined;
  },

  /** The names of these users, deleted ones included, by id. */
  async namesOf(tx: Db, ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await tx
      .select({ id: users.id, name: users.name })
      .from(users)
      .where(inArray(users.id, [...ids]));
    return new Map(rows.map((row) => [row.id, row.name]));
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
