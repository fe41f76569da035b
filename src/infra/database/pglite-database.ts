import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import type { DataDirLock } from './data-dir-lock.js';
import { currentSqlOrigin } from './sql-origin.js';
import { drizzle } from 'drizzle-orm/pglite';
import {
  DrizzleDatabase,
  type Db,
  type SqlDatabase,
  type SqlObserver,
  type TransactionOptions,
} from './sql-database.js';

export interface PgliteOptions {
  /** Directory for the database files; omitted → in memory. */
  dataDir?: string;
  /** A tarball from `dumpDataDir()` to start from (tests load a migrated snapshot instead of migrating). */
  loadDataDir?: Blob;
  /** Counts statements and commits; the one PGlite holds control and tenants, so all count as control. */
  observer?: SqlObserver;
  /** The DATA_DIR lock taken for `dataDir` (see data-dir-lock.ts): released when this database closes. */
  lock?: DataDirLock;
}

/** Which PGlite database the current async flow holds a transaction on. */
const insideTransaction = new AsyncLocalStorage<PgliteDatabase>();

/**
 * The embedded database: PostgreSQL compiled to WebAssembly, in this process.
 * One PGlite instance serves the control database and, as schemas, every tenant (see TenantDatabaseManager).
 */
export class PgliteDatabase extends DrizzleDatabase {
  readonly kind = 'pglite' as const;
  readonly name = 'public';
  readonly db: Db;

  private constructor(
    readonly client: PGlite,
    observer?: SqlObserver,
    private readonly lock?: DataDirLock,
  ) {
    super('control', observer);
    this.db = drizzle(client, { logger: this.countingLogger() });
  }

  static async open(options: PgliteOptions = {}): Promise<PgliteDatabase> {
    try {
      if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
      const client = await PGlite.create({ dataDir: options.dataDir, loadDataDir: options.loadDataDir });
      return new PgliteDatabase(client, options.observer, options.lock);
    } catch (error) {
      options.lock?.release();
      throw error;
    }
  }

  /**
   * PGlite runs one transaction at a time. A call made from inside an open transaction (instead of
   * through its `tx`) would wait for that transaction to end, which waits for the call: a deadlock
   * that freezes the whole embedded database. Such a call fails at once instead, naming the mistake.
   */
  override transaction<T>(work: (tx: Db) => Promise<T>, options?: TransactionOptions): Promise<T> {
    this.refuseNestedCall();
    // PGlite sends BEGIN and COMMIT itself, where drizzle's log does not see them.
    this.observer?.statements(this.role, currentSqlOrigin(), 2);
    return insideTransaction.run(this, () => super.transaction(work, options));
  }

  override query<Row>(statement: SQL): Promise<Row[]> {
    this.refuseNestedCall();
    return super.query<Row>(statement);
  }

  override read<T>(work: (db: Db) => Promise<T>): Promise<T> {
    this.refuseNestedCall();
    return super.read(work);
  }

  private refuseNestedCall(): void {
    if (insideTransaction.getStore() === this) {
      throw new Error(
        'Embedded database called from inside one of its own transactions: use the transaction handle (tx) ' +
          'you were given, or make the call after it commits. PGlite runs one transaction at a time, so this would deadlock.',
      );
    }
  }

  /** A view of this database whose every statement runs under `search_path = schema`. */
  schemaView(schema: string): SqlDatabase {
    return new PgliteSchemaView(this, schema);
  }

  async close(): Promise<void> {
    try {
      if (!this.client.closed) await this.client.close();
    } finally {
      this.lock?.release();
    }
  }
}

/**
 * A tenant schema inside the one PGlite database. Each call runs in a transaction that first sets the
 * search path, so unqualified SQL written for a tenant database resolves to this tenant's tables.
 * PGlite runs one transaction at a time, so two tenants' statements never interleave.
 */
class PgliteSchemaView implements SqlDatabase {
  readonly kind = 'pglite' as const;
  readonly role = 'tenant' as const;

  constructor(
    private readonly owner: PgliteDatabase,
    readonly name: string,
  ) {}

  transaction<T>(work: (tx: Db) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.owner.transaction(async (tx) => {
      await tx.execute(sql.raw(`set local search_path to "${this.name}"`));
      return work(tx);
    }, options);
  }

  query<Row>(statement: SQL): Promise<Row[]> {
    return this.transaction(async (tx) => {
      const result: unknown = await tx.execute(statement);
      return (result as { rows: Row[] }).rows;
    });
  }

  /** In a transaction after all: the schema is chosen with `set local` (in process, BEGIN costs nothing). */
  read<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return this.transaction(work);
  }

  ping(): Promise<void> {
    return this.owner.ping();
  }

  async close(): Promise<void> {
    // The schema lives in the shared instance, which its owner closes.
  }
}
