import { and, asc, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf, type SqlDatabase } from '../database/sql-database.js';
import { withSqlOrigin } from '../database/sql-origin.js';
import { BusUnavailable, type BusPort } from './bus.port.js';
import type { Envelope, EnvelopeMeta } from './envelope.js';
import { outbox } from './messaging.shared-tables.js';

const BATCH = 200;
/** How long a relay may hold claimed rows before another relay may publish them. */
const CLAIM_SECONDS = 30;

export interface RelayObserver {
  published(count: number): void;
  /** `database`: its name and role, as of the sweep that measured the lag. */
  lag(database: Pick<SqlDatabase, 'name' | 'role'>, seconds: number): void;
}

/**
 * Moves outbox rows to the bus. `kick` runs right after a commit that wrote events; `sweep` is the
 * scheduler's safety net for rows a crash or a broker outage left behind.
 *
 * A kick that is handed the events its transaction just committed publishes them as they are (no
 * claim: nobody else has seen them yet, and the sweeper leaves young rows alone), then marks them in
 * one statement — one round trip per commit. Otherwise (and in the sweeper) rows are claimed (a short
 * lease), published with confirms, then marked. A crash between publish and mark republishes them
 * later: delivery is at least once, and consumers' inboxes make it exactly-once.
 */
export class OutboxRelay {
  /** Keyed by database name: tenant handles are new objects on every lookup, the name is stable. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /**
   * Per database, just-committed events waiting to be published, and the run publishing them: events
   * committed while a publish is in flight wait and go together in the next (in commit order).
   */
  private readonly waiting = new Map<string, Envelope[]>();
  private readonly publishing = new Map<string, Promise<void>>();
  /** Databases whose last publish failed: the next one that succeeds drains what was left behind. */
  private readonly behind = new Set<string>();

  constructor(
    private readonly bus: BusPort,
    private readonly log: Logger,
    private readonly observer?: RelayObserver,
  ) {}

  /**
   * Publish this database's pending events soon: `committed`, the events a transaction just committed,
   * go out at once; without them a drain publishes whatever is pending (bursts coalesce into one).
   */
  kick(database: SqlDatabase, committed: Envelope[] = []): void {
    if (committed.length > 0) return this.publishCommitted(database, committed);
    const key = database.name;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    const run = withSqlOrigin('outbox-relay', async () => {
      do {
        this.again.delete(key);
        try {
          await this.drain(database, 0);
        } catch (error) {
          // The sweeper retries; an outage must not crash the request that committed.
          this.again.delete(key);
          // An outage is logged by the bus itself, once per window; one line per commit would flood.
          const level = error instanceof BusUnavailable ? 'debug' : 'warn';
          this.log[level]({ err: error, database: key }, 'outbox relay could not publish; the sweeper will retry');
          return;
        }
      } while (this.again.has(key));
    }).finally(() => {
      this.running.delete(key);
      // A kick that arrived after the last check but before this cleanup still gets its drain.
      if (this.again.delete(key)) this.kick(database);
    });
    this.running.set(key, run);
  }

  /** Publishes rows older than `minAgeMs` (the ones no kick took care of) and reports the lag. */
  async sweep(database: SqlDatabase, minAgeMs: number): Promise<number> {
    const published = await withSqlOrigin('outbox-sweeper', () => this.drain(database, minAgeMs));
    const [oldest] = await database.query<{ age: number | string | null }>(
      sql`select extract(epoch from now() - min(occurred_at)) as age from outbox where published_at is null`,
    );
    this.observer?.lag(database, Number(oldest?.age ?? 0));
    return published;
  }

  /** Waits for kicks in flight (graceful shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running.values(), ...this.publishing.values()]);
  }

  private publishCommitted(database: SqlDatabase, envelopes: Envelope[]): void {
    const key = database.name;
    this.waiting.set(key, [...(this.waiting.get(key) ?? []), ...envelopes]);
    if (this.publishing.has(key)) return;
    const run = withSqlOrigin('outbox-relay', async () => {
      for (let batch = this.take(key); batch.length > 0; batch = this.take(key)) {
        try {
          await this.bus.publish(batch);
          await this.markPublished(database, batch);
          this.observer?.published(batch.length);
          // The bus is back: what failed before goes now, not at the sweeper's next round.
          if (this.behind.delete(key)) this.kick(database);
        } catch (error) {
          this.behind.add(key);
          // The rows stay unpublished: the sweeper publishes them. An outage is logged by the bus itself.
          const level = error instanceof BusUnavailable ? 'debug' : 'warn';
          this.log[level]({ err: error, database: key }, 'outbox relay could not publish; the sweeper will retry');
        }
      }
    }).finally(() => {
      this.publishing.delete(key);
      // Events that arrived after the last take, before this cleanup, still get their run.
      if (this.waiting.has(key)) this.publishCommitted(database, []);
    });
    this.publishing.set(key, run);
  }

  private take(key: string): Envelope[] {
    const batch = this.waiting.get(key) ?? [];
    this.waiting.delete(key);
    return batch;
  }

  /** One statement, no transaction around it. */
  private async markPublished(database: SqlDatabase, envelopes: Envelope[]): Promise<void> {
    const ids = sql.param(envelopes.map((envelope) => envelope.id));
    await database.query(
      sql`update outbox set published_at = now(), claimed_until = null where id = any(${ids}::uuid[])`,
    );
  }

  private async drain(database: SqlDatabase, minAgeMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await this.claim(database, minAgeMs);
      if (batch.length === 0) return total;
      try {
        await this.bus.publish(batch);
      } catch (error) {
        // Hand the rows back at once: the sweeper publishes them as soon as the bus is back, instead of
        // after the claim runs out. (Were some published after all, they go again; the inbox dedupes.)
        await this.release(database, batch).catch(() => undefined);
        throw error;
      }
      await this.markPublished(database, batch);
      total += batch.length;
      this.observer?.published(batch.length);
      if (batch.length < BATCH) return total;
    }
  }

  private async release(database: SqlDatabase, batch: Envelope[]): Promise<void> {
    const ids = sql.param(batch.map((envelope) => envelope.id));
    await database.query(
      sql`update outbox set claimed_until = null where id = any(${ids}::uuid[]) and published_at is null`,
    );
  }

  /** One statement (the row locks of its subquery last only as long as it does). */
  private claim(database: SqlDatabase, minAgeMs: number): Promise<Envelope[]> {
    return database.read(async (tx) => {
      const ready = tx
        .select({ id: outbox.id })
        .from(outbox)
        .where(
          and(
            isNull(outbox.publishedAt),
            or(isNull(outbox.claimedUntil), lt(outbox.claimedUntil, sql`now()`)),
            // A kick takes every row (occurred_at comes from the app's clock, which may run ahead of
            // the database's); only the sweeper leaves young rows to their own kick.
            minAgeMs > 0 ? lte(outbox.occurredAt, sql`now() - ${minAgeMs}::int * interval '1 millisecond'`) : undefined,
          ),
        )
        .orderBy(asc(outbox.occurredAt))
        .limit(BATCH)
        .for('update', { skipLocked: true });
      const rows = await rowsOf<{
        id: string;
        type: string;
        tenant: string | null;
        aggregate_id: string;
        payload: unknown;
        traceparent: string | null;
        meta: EnvelopeMeta | string | null;
        occurred_at: string | Date;
      }>(
        tx,
        sql`update outbox set claimed_until = now() + ${CLAIM_SECONDS}::int * interval '1 second'
            where id in (${ready})
            returning id, type, tenant, aggregate_id, payload, traceparent, meta, occurred_at`,
      );
      return rows
        .map((row) => ({
          id: row.id,
          type: row.type,
          tenant: row.tenant,
          aggregateId: row.aggregate_id,
          occurredAt: new Date(row.occurred_at).toISOString(),
          attempt: 1,
          ...(row.traceparent ? { traceparent: row.traceparent } : {}),
          ...(row.meta
            ? { meta: typeof row.meta === 'string' ? (JSON.parse(row.meta) as EnvelopeMeta) : row.meta }
            : {}),
          payload: typeof row.payload === 'string' ? (JSON.parse(row.payload) as unknown) : row.payload,
        }))
        .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id));
    });
  }
}
