import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { SQL } from 'drizzle-orm';
import { Saturated } from '../../common/saturated.js';
import {
  DrizzleDatabase,
  type DatabaseRole,
  type Db,
  type SqlObserver,
  type TransactionOptions,
} from './sql-database.js';

/** Every connection of the pool stayed busy past the wait, or the server refused more: 503, not 500. */
export class DatabaseSaturated extends Saturated {
  override readonly name = 'DatabaseSaturated';
}

/** pg-pool's checkout timeout, and PostgreSQL's "too many connections" (53300). */
function saturation(error: unknown, database: string): DatabaseSaturated | undefined {
  // Drizzle wraps the driver's error as the cause of its own "Failed query".
  for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause) {
    const { message, code } = cause as { message?: string; code?: string };
    if (message === 'timeout exceeded when trying to connect' || code === '53300') {
      return new DatabaseSaturated(`database ${database} has no connection free: ${message ?? code}`);
    }
  }
  return undefined;
}

export interface PostgresOptions {
  url: string;
  poolSize: number;
  idleTimeoutMs?: number;
  applicationName?: string;
  /** Which database this is, for the statement and commit counts (default control). */
  role?: DatabaseRole;
  observer?: SqlObserver;
}

/** PostgreSQL through a `pg` pool. */
export class PostgresDatabase extends DrizzleDatabase {
  readonly kind = 'postgres' as const;
  readonly name: string;
  readonly pool: pg.Pool;
  protected readonly db: Db;

  constructor(options: PostgresOptions) {
    super(options.role ?? 'control', options.observer);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      connectionTimeoutMillis: 5_000,
      application_name: options.applicationName ?? 'ordo',
    });
    // An idle client losing its server must not crash the process; the next checkout reconnects.
    this.pool.on('error', () => undefined);
    this.name = new URL(options.url).pathname.replace(/^\//, '') || 'postgres';
    this.db = drizzle(this.pool, { logger: this.countingLogger() });
  }

  override transaction<T>(work: (tx: Db) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return super.transaction(work, options).catch((error: unknown) => {
      throw saturation(error, this.name) ?? error;
    });
  }

  override query<Row>(statement: SQL): Promise<Row[]> {
    return super.query<Row>(statement).catch((error: unknown) => {
      throw saturation(error, this.name) ?? error;
    });
  }

  override read<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return super.read(work).catch((error: unknown) => {
      throw saturation(error, this.name) ?? error;
    });
  }

  /**
   * Cuts the transaction's connection: every statement on it fails at once and the pool discards it.
   * A backend blocked on a lock would not notice a closed socket until the lock is granted, so it is
   * also terminated from another connection, which rolls back and frees its locks now.
   */
  protected override abandon(tx: Db): void {
    const client = (tx as unknown as { session?: { client?: pg.PoolClient } }).session?.client;
    if (!client) return;
    const backend = (client as unknown as { processID?: number }).processID;
    client.on('error', () => undefined); // the pool listens only to idle clients
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    if (backend) this.pool.query('select pg_terminate_backend($1)', [backend]).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
