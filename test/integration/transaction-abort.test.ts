import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { PgliteDatabase } from '../../src/infra/database/pglite-database.js';
import { PostgresDatabase } from '../../src/infra/database/postgres-database.js';
import type { SqlDatabase } from '../../src/infra/database/sql-database.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { requireService } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

/** What a delivery past its deadline relies on: an aborted transaction rolls back and refuses late work. */
function abortContract(
  name: string,
  skip: false | string,
  open: () => Promise<SqlDatabase & { done(): Promise<void> }>,
) {
  describe(`SqlDatabase transaction abort: ${name}`, { skip }, () => {
    let database: SqlDatabase & { done(): Promise<void> };
    before(async () => {
      database = await open();
      await database.query(sql`create table if not exists abort_probe (id int primary key, n int not null)`);
      await database.query(sql`insert into abort_probe values (1, 0) on conflict (id) do update set n = 0`);
    });
    after(() => database?.done());

    const count = async () => (await database.query<{ n: number }>(sql`select n from abort_probe where id = 1`))[0]!.n;

    it('rolls back at once when aborted, and refuses statements its work makes afterwards', async () => {
      const controller = new AbortController();
      let late: Promise<string> | undefined;
      let wrote = () => undefined as void;
      const written = new Promise<void>((resolve) => (wrote = resolve));
      const stuck = database.transaction(
        async (tx) => {
          await tx.execute(sql`update abort_probe set n = n + 1 where id = 1`);
          wrote();
          await new Promise((resolve) => setTimeout(resolve, 300));
          late = tx.execute(sql`update abort_probe set n = n + 100 where id = 1`).then(
            () => 'written',
            () => 'refused',
          );
          await late;
        },
        { signal: controller.signal },
      );
      await written;
      controller.abort(new Error('deadline'));
      await assert.rejects(stuck, /deadline/);
      assert.equal(await count(), 0, 'the write before the abort was rolled back');
      await waitFor(() => late, { what: 'the abandoned work to try again' });
      assert.equal(await late, 'refused');
      assert.equal(await count(), 0);
      await database.transaction((tx) => tx.execute(sql`update abort_probe set n = n + 1 where id = 1`));
      assert.equal(await count(), 1, 'the database works as before');
      await database.query(sql`update abort_probe set n = 0 where id = 1`);
    });
  });
}

abortContract('PGlite', false, async () => {
  const database = await PgliteDatabase.open();
  return Object.assign(database, { done: () => database.close() });
});

const postgresSkip = await requireService('postgres');
abortContract('PostgreSQL', postgresSkip, async () => {
  const test = await createTestDatabase('abort');
  const database = new PostgresDatabase({ url: test.url, poolSize: 4 });
  return Object.assign(database, {
    done: async () => {
      await database.close();
      await test.drop();
    },
  });
});

describe('SqlDatabase transaction abort: a statement waiting on a lock (PostgreSQL)', { skip: postgresSkip }, () => {
  let test: TestDatabase;
  let database: PostgresDatabase;
  before(async () => {
    test = await createTestDatabase('abortlock');
    database = new PostgresDatabase({ url: test.url, poolSize: 4 });
    await database.query(sql`create table abort_lock (id int primary key, n int not null)`);
    await database.query(sql`insert into abort_lock values (1, 0)`);
  });
  after(async () => {
    await database?.close();
    await test?.drop();
  });

  it('ends the waiting backend, so its locks go before the holder lets go', async () => {
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked = () => undefined as void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = database.transaction(async (tx) => {
      await tx.execute(sql`select * from abort_lock where id = 1 for update`);
      locked();
      await held;
    });
    await isLocked;

    const controller = new AbortController();
    const waiter = database.transaction((tx) => tx.execute(sql`update abort_lock set n = n + 1 where id = 1`), {
      signal: controller.signal,
    });
    const waiting = async () =>
      (
        await database.query<{ count: number }>(
          sql`select count(*)::int as count from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock'`,
        )
      )[0]!.count;
    await waitFor(async () => (await waiting()) === 1, { what: 'the update to wait on the lock' });
    controller.abort(new Error('deadline'));
    await assert.rejects(waiter, /deadline/);
    await waitFor(async () => (await waiting()) === 0, { what: 'the waiting backend to end' });
    release();
    await holder;
    const [row] = await database.query<{ n: number }>(sql`select n from abort_lock where id = 1`);
    assert.equal(row!.n, 0, 'the abandoned update never applied');
  });
});
