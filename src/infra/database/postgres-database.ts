import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { DrizzleDatabase, type Db } from './sql-database.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  idleTimeoutMs?: number;
  applicationName?: string;
}

/** PostgreSQL through a `pg` pool. */
export class PostgresDatabase extends DrizzleDatabase {
  readonly kind = 'postgres' as const;
  readonly name: string;
  readonly pool: pg.Pool;
  protected readonly db: Db;

  constructor(options: PostgresOptions) {
    super();
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

  async close(): Promise<void> {
    await this.pool.end();
  }
}
