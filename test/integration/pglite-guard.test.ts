import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { PgliteDatabase } from '../../src/infra/database/pglite-database.js';
import { rowsOf } from '../../src/infra/database/sql-database.js';

describe('embedded database guard', () => {
  it('refuses a call made from inside its own transaction instead of deadlocking', async () => {
    const database = await PgliteDatabase.open();
    try {
      await assert.rejects(
        database.transaction(async () => {
          await database.query(sql`select 1`);
        }),
        /inside one of its own transactions/,
      );
      const schema = database.schemaView('public');
      await assert.rejects(
        database.transaction(() => schema.query(sql`select 1`)),
        /inside one of its own transactions/,
        'a tenant schema view shares the one instance',
      );
      // Through the handle it was given, and after commit, everything works.
      const [row] = await database.transaction((tx) => rowsOf<{ answer: number }>(tx, sql`select 41 + 1 as answer`));
      assert.equal(row?.answer, 42);
      assert.deepEqual(await database.query(sql`select 1 as one`), [{ one: 1 }]);
    } finally {
      await database.close();
    }
  });
});
