import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { Saturated } from '../../src/common/saturated.js';
import { DatabaseSaturated, PostgresDatabase } from '../../src/infra/database/postgres-database.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { requireService } from '../support/services.js';

describe('a PostgreSQL pool with no connection free', { skip: await requireService('postgres') }, () => {
  let test: TestDatabase;
  let database: PostgresDatabase;
  before(async () => {
    test = await createTestDatabase('saturated');
    database = new PostgresDatabase({ url: test.url, poolSize: 1 });
  });
  after(async () => {
    await database?.close();
    await test?.drop();
  });

  it('refuses with DatabaseSaturated (a 503 at the edge) once the checkout wait runs out, not a bare error', async () => {
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holder = database.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      await held;
    });
    try {
      const refused = await database.query(sql`select 1`).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(refused instanceof DatabaseSaturated, `got ${String(refused)}`);
      assert.ok(refused instanceof Saturated);
      assert.equal(refused.retryAfterSeconds, 1);
    } finally {
      release();
      await holder;
    }
    assert.deepEqual(await database.query(sql`select 1 as one`), [{ one: 1 }], 'and works once a connection is free');
  });
});
