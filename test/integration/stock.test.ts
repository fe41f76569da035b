import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { newId } from '../../src/common/ids.js';
import { migrate } from '../../src/infra/database/migrator.js';
import { PgliteDatabase } from '../../src/infra/database/pglite-database.js';
import { PostgresDatabase } from '../../src/infra/database/postgres-database.js';
import type { SqlDatabase } from '../../src/infra/database/sql-database.js';
import { products, stock } from '../../src/modules/catalog/catalog.tenant-tables.js';
import {
  commitStock,
  releaseStock,
  reserveItems,
  reserveStock,
  stockRepository,
} from '../../src/modules/catalog/stock.repository.js';
import { databaseUrl, withAdmin } from '../support/postgres.js';
import { requireService, uniqueSuffix } from '../support/services.js';

interface Opened {
  db: SqlDatabase;
  close(): Promise<void>;
}

/** A migrated tenant database on PGlite (its public schema) or a fresh PostgreSQL database. */
const backends: { name: string; skip: () => Promise<false | string>; open: () => Promise<Opened> }[] = [
  {
    name: 'PGlite',
    skip: async () => false,
    async open() {
      const db = await PgliteDatabase.open();
      await migrate(db, 'tenant');
      return { db, close: () => db.close() };
    },
  },
  {
    name: 'PostgreSQL',
    skip: () => requireService('postgres'),
    async open() {
      const name = `ordo_test_stock_${uniqueSuffix()}`;
      await withAdmin((admin) => admin.query(`create database "${name}"`));
      // More connections than units: the contention happens in the database, not in the pool.
      const db = new PostgresDatabase({ url: databaseUrl(name), poolSize: 25 });
      await migrate(db, 'tenant');
      return {
        db,
        async close() {
          await db.close();
          await withAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`));
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`stock moves on ${backend.name}`, { skip: await backend.skip() }, () => {
    let opened: Opened;
    let db: SqlDatabase;

    before(async () => {
      opened = await backend.open();
      db = opened.db;
    });
    after(async () => {
      await opened?.close();
    });

    /** A product with `onHand` units (and `reserved` already promised). */
    async function product(onHand: number, reserved = 0): Promise<string> {
      const id = newId();
      await db.transaction(async (tx) => {
        await tx.insert(products).values({ id, name: `Product ${id}`, price: 100 });
        await tx.insert(stock).values({ productId: id, onHand, reserved });
      });
      return id;
    }

    const levelOf = async (id: string) => (await db.transaction((tx) => stockRepository.find(tx, id)))!;

    it('50 concurrent reservations of 1 on stock 10: exactly 10 succeed, never oversold', async () => {
      const id = await product(10);
      const results = await Promise.all(
        Array.from({ length: 50 }, () => db.transaction((tx) => reserveStock(tx, id, 1))),
      );
      assert.equal(results.filter((result) => result.ok).length, 10);
      assert.ok(
        results.filter((result) => !result.ok).every((result) => result.reason === 'insufficient_stock'),
        'every refusal is a shortfall',
      );
      assert.deepEqual(await levelOf(id), { productId: id, onHand: 10, reserved: 10 });
    });

    it('concurrent multi-line orders reserve all lines or none (and never deadlock)', async () => {
      const scarce = await product(5);
      const plenty = await product(100);
      // Half list the lines one way round, half the other: reserveItems takes them in id order.
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          db.transaction((tx) =>
            reserveItems(
              tx,
              i % 2
                ? [
                    { productId: scarce, quantity: 1 },
                    { productId: plenty, quantity: 2 },
                  ]
                : [
                    { productId: plenty, quantity: 2 },
                    { productId: scarce, quantity: 1 },
                  ],
            ),
          ),
        ),
      );
      const succeeded = results.filter((result) => result.ok).length;
      assert.equal(succeeded, 5);
      assert.deepEqual(await levelOf(scarce), { productId: scarce, onHand: 5, reserved: 5 });
      assert.deepEqual(
        await levelOf(plenty),
        { productId: plenty, onHand: 100, reserved: 10 },
        'no stray reservations',
      );
      const failed = results.find((result) => !result.ok);
      assert.deepEqual(failed, { ok: false, reason: 'insufficient_stock', productId: scarce });
    });

    it('reserve, release and commit keep on_hand and reserved consistent', async () => {
      const id = await product(5);
      assert.equal((await db.transaction((tx) => reserveStock(tx, id, 3))).ok, true);
      assert.deepEqual(await db.transaction((tx) => reserveStock(tx, id, 3)), {
        ok: false,
        reason: 'insufficient_stock',
        stock: { productId: id, onHand: 5, reserved: 3 },
      });
      assert.deepEqual(await db.transaction((tx) => releaseStock(tx, id, 1)), {
        ok: true,
        stock: { productId: id, onHand: 5, reserved: 2 },
      });
      assert.deepEqual(await db.transaction((tx) => commitStock(tx, id, 2)), {
        ok: true,
        stock: { productId: id, onHand: 3, reserved: 0 },
      });
      // Nothing reserved any more: neither a release nor a commit can take units that were never promised.
      assert.equal((await db.transaction((tx) => releaseStock(tx, id, 1))).ok, false);
      assert.equal((await db.transaction((tx) => commitStock(tx, id, 1))).ok, false);
      assert.deepEqual(await levelOf(id), { productId: id, onHand: 3, reserved: 0 });
    });

    it('an unknown product is a value, not an exception; a bad quantity is a bug that throws', async () => {
      assert.deepEqual(await db.transaction((tx) => reserveStock(tx, newId(), 1)), {
        ok: false,
        reason: 'unknown_product',
      });
      const id = await product(5);
      for (const quantity of [0, -1, 1.5]) {
        await assert.rejects(
          db.transaction((tx) => reserveStock(tx, id, quantity)),
          RangeError,
        );
      }
    });

    it('the database itself refuses reserved > on_hand or negative stock', async () => {
      const id = await product(2, 2);
      for (const statement of [
        sql`update stock set reserved = 3 where product_id = ${id}`,
        sql`update stock set on_hand = 1 where product_id = ${id}`,
        sql`update stock set reserved = -1 where product_id = ${id}`,
      ]) {
        await assert.rejects(db.query(statement), (error: unknown) =>
          /violates check constraint/.test(String((error as { cause?: unknown }).cause ?? error)),
        );
      }
      assert.deepEqual(await levelOf(id), { productId: id, onHand: 2, reserved: 2 });
    });
  });
}
