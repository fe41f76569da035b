import { sql, type SQL } from 'drizzle-orm';
import { currentSqlOrigin } from './sql-origin.js';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/** A Drizzle handle; the same query code runs on PGlite and on PostgreSQL. */
export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>;

export interface TransactionOptions {
  /**
   * Aborting it rolls the transaction back at once — even while a statement waits on a lock — and
   * every statement its work tries afterwards fails: how a delivery past its deadline is cut off.
   */
  signal?: AbortSignal;
}

/**
 * The database port. One instance is one database (or, embedded, one schema of the PGlite database).
 * `transaction` is the unit of work: state changes, outbox rows and inbox rows commit together.
 */
export interface SqlDatabase {
  readonly kind: 'pglite' | 'postgres';
  /** Schema or database name, for logs and errors. */
  readonly name: string;
  /** The platform's database or a tenant's: what metrics may name (a tenant's name stays out of them). */
  readonly role: DatabaseRole;
  transaction<T>(work: (tx: Db) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs one statement outside an explicit transaction and returns its rows. */
  query<Row>(statement: SQL): Promise<Row[]>;
  /**
   * One read (a single statement) with the query builder, outside an explicit transaction: no BEGIN and
   * COMMIT round trips around it. Reads that need a consistent view of several statements use `transaction`.
   */
  read<T>(work: (db: Db) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const CONTROL_DATABASE = Symbol('CONTROL_DATABASE');

/** Which database a statement went to: the platform's, or a tenant's. */
export type DatabaseRole = 'control' | 'tenant';

/**
 * Counts what a database adapter sends: every statement (BEGIN and COMMIT included: each is a round
 * trip) and every commit (an explicit transaction, or a statement run on its own). What the order
 * benchmark reads to say what each paid order costs.
 */
export interface SqlObserver {
  /** `origin`: what the statement or commit was for (see `sql-origin.ts`). */
  statements(role: DatabaseRole, origin: string, count: number): void;
  committed(role: DatabaseRole, origin: string): void;
}

/** Rows of a raw statement run on a Drizzle handle; PGlite and node-postgres both answer `{ rows }`. */
export async function rowsOf<Row>(db: Db, statement: SQL): Promise<Row[]> {
  const result: unknown = await db.execute(statement);
  return (result as { rows: Row[] }).rows;
}

/** Affected-row count of a raw statement (`affectedRows` on PGlite, `rowCount` on node-postgres). */
export async function countOf(db: Db, statement: SQL): Promise<number> {
  const result: unknown = await db.execute(statement);
  const { rowCount, affectedRows } = result as { rowCount?: number | null; affectedRows?: number };
  return rowCount ?? affectedRows ?? 0;
}

/** What both adapters share once they hold a Drizzle handle: the same SQL on PGlite and PostgreSQL. */
export abstract class DrizzleDatabase implements SqlDatabase {
  abstract readonly kind: 'pglite' | 'postgres';
  abstract readonly name: string;
  protected abstract readonly db: Db;

  constructor(
    readonly role: DatabaseRole,
    protected readonly observer?: SqlObserver,
  ) {}

  /** Drizzle's query log, used as a statement counter (it sees every statement drizzle sends). */
  protected countingLogger() {
    return { logQuery: () => this.observer?.statements(this.role, currentSqlOrigin(), 1) };
  }

  async transaction<T>(work: (tx: Db) => Promise<T>, { signal }: TransactionOptions = {}): Promise<T> {
    const result = await this.runTransaction(work, signal);
    this.observer?.committed(this.role, currentSqlOrigin());
    return result;
  }

  private runTransaction<T>(work: (tx: Db) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (!signal) return this.db.transaction((tx) => work(tx as unknown as Db));
    signal.throwIfAborted();
    return this.db
      .transaction((tx) => untilAborted(work(tx as unknown as Db), signal, () => this.abandon(tx as Db)))
      .catch((error: unknown) => {
        // The rollback of an abandoned transaction may fail on its cut connection: the abort is the news.
        throw signal.aborted ? signal.reason : error;
      });
  }

  /**
   * Ends a transaction whose work was abandoned, so its statements fail and its locks go. The
   * transaction's own rollback follows; PGlite's closed transaction refuses later statements by itself.
   */
  protected abandon(_tx: Db): void {}

  async query<Row>(statement: SQL): Promise<Row[]> {
    const rows = await rowsOf<Row>(this.db, statement);
    this.observer?.committed(this.role, currentSqlOrigin());
    return rows;
  }

  async read<T>(work: (db: Db) => Promise<T>): Promise<T> {
    const result = await work(this.db);
    this.observer?.committed(this.role, currentSqlOrigin());
    return result;
  }

  async ping(): Promise<void> {
    await this.db.execute(sql`select 1`);
  }

  abstract close(): Promise<void>;
}

/** `work`, or a rejection with the signal's reason once it aborts (after `onAbort` ran). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const aborted = () => {
      onAbort();
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    if (signal.aborted) return aborted();
    signal.addEventListener('abort', aborted, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', aborted));
  });
}
