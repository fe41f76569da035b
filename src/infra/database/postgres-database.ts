import { sql, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Db, SqlDatabase } from './sql-database.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  idleTimeoutMs?: number;
  applicationName?: string;
}

/** PostgreSQL through a `pg` pool. */
export class PostgresDatabase implements SqlDatabase {
  readonly kind = 'postgres' as const;
  readonly name: string;
  readonly pool: pg.Pool;
  private readonly db: Db;

  constructor(options: PostgresOptions) {
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
    this.db = drizzle(this.pool);
  }

  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(tx as unknown as Db));
  }

  async query<Row>(statement: SQL): Promise<Row[]> {
    const result: unknown = await this.db.execute(statement);
    return (result as { rows: Row[] }).rows;
  }

  async ping(): Promise<void> {
    await this.db.execute(sql`select 1`);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
