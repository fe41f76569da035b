import pg from 'pg';
import { PostgresDatabase } from '../database/postgres-database.js';
import type { SqlDatabase } from '../database/sql-database.js';

/** Session-level advisory lock key shared by every scheduler of a deployment. */
const LEADER_KEY = 'ordo:scheduler:leader';

/**
 * Leadership of the scheduler role. On PostgreSQL it is a session advisory lock held on a dedicated
 * connection: it lasts while the connection does and passes to another scheduler when it drops.
 * Embedded there is one process, which always leads.
 */
export interface LeaderLock {
  /** Tries to become (or checks still being) leader. */
  acquire(): Promise<boolean>;
  release(): Promise<void>;
}

export function leaderLockFor(database: SqlDatabase, url: string | undefined): LeaderLock {
  if (database instanceof PostgresDatabase && url) return new PostgresLeaderLock(url);
  return { acquire: async () => true, release: async () => undefined };
}

class PostgresLeaderLock implements LeaderLock {
  private client?: pg.Client;
  private held = false;
  private checking?: Promise<boolean>;

  constructor(private readonly url: string) {}

  /** Checks never overlap: a check stuck on a half-open connection must not queue more behind it. */
  acquire(): Promise<boolean> {
    this.checking ??= this.check().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async check(): Promise<boolean> {
    try {
      if (!this.client) {
        const client = new pg.Client({
          connectionString: this.url,
          application_name: 'ordo-scheduler-leader',
          // A half-open connection must cost us leadership quickly, not after the kernel gives up:
          // until the server notices, it keeps the lock, and another scheduler cannot take over.
          keepAlive: true,
          keepAliveInitialDelayMillis: 1_000,
          query_timeout: 1_500,
          connectionTimeoutMillis: 1_500,
        });
        client.on('error', () => this.forget());
        client.on('end', () => this.forget());
        await client.connect();
        this.client = client;
      }
      if (this.held) {
        await this.client.query('select 1');
        return this.held;
      }
      const result = await this.client.query<{ locked: boolean }>(
        'select pg_try_advisory_lock(hashtext($1)) as locked',
        [LEADER_KEY],
      );
      this.held = result.rows[0]?.locked === true;
      return this.held;
    } catch {
      // Lost or unsure: stop leading now, and drop the connection so the server frees the lock.
      const client = this.client;
      this.forget();
      client?.end().catch(() => undefined);
      return false;
    }
  }

  async release(): Promise<void> {
    const client = this.client;
    this.forget();
    await client?.end().catch(() => undefined);
  }

  private forget(): void {
    this.held = false;
    this.client = undefined;
  }
}
