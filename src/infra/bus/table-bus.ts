import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { SqlDatabase } from '../database/sql-database.js';
import { BATCH_LINGER_MS, type BusOptions, type BusPort, type DeadLetterSink, type Subscription } from './bus.port.js';
import { withDeliveryDeadline } from './delivery-deadline.js';
import type { Envelope } from './envelope.js';
import { withSqlOrigin } from '../database/sql-origin.js';
import { describeError } from './permanent-failure.js';
import { retryDelay } from './retry-policy.js';

const IDLE_POLL_MS = 200;
/** Handled messages are deleted together, this long after the first of them finished. */
const DELETE_AFTER_MS = 5;

interface ClaimedRow {
  id: number;
  envelope: Envelope | string;
  attempt: number;
}

/**
 * The embedded bus: durable queue tables in the control database. Works on PGlite (one process) and
 * on PostgreSQL (many processes), claiming with `FOR UPDATE SKIP LOCKED` and a lease.
 */
export class TableBus implements BusPort {
  readonly kind = 'table' as const;
  /** In-process wake-ups, one channel per consumer: a publish wakes only the consumers bound to its types. */
  private readonly wakeups = new EventEmitter().setMaxListeners(0);
  /** The event types each local consumer handles, to know whom a publish concerns. */
  private readonly localBindings = new Map<string, Set<string>>();
  private readonly loops: Promise<void>[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** Rows being handled here, whose leases the heartbeat keeps extending. */
  private readonly leased = new Set<number>();
  private heartbeat?: NodeJS.Timeout;
  private consuming = false;
  /** Rows handled here and not deleted yet (still leased): one delete takes them all. */
  private handled: number[] = [];
  private deleting?: NodeJS.Timeout;
  private deletes = new Set<Promise<void>>();
  /**
   * How long a claimed message stays invisible to other workers. A live worker keeps extending it;
   * a crashed worker's messages come back once it runs out.
   */
  private readonly leaseMs: number;

  constructor(
    private readonly database: SqlDatabase,
    private readonly options: BusOptions & { leaseMs?: number },
    private readonly log: Logger,
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  /**
   * Adds bindings, never removes them (as on RabbitMQ): during a rolling deploy an older process
   * must not unbind an event type a newer one handles. Removing a binding is an operator's step.
   */
  async declare(subscriptions: Subscription[]): Promise<void> {
    await this.database.transaction(async (tx) => {
      for (const { consumer, eventTypes } of subscriptions) {
        for (const eventType of eventTypes) {
          await tx.execute(
            sql`insert into bus_bindings (consumer, event_type) values (${consumer}, ${eventType}) on conflict do nothing`,
          );
        }
      }
    });
  }

  async publish(envelopes: Envelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    // One set-based statement per batch: fan each envelope out to every consumer bound to its type.
    const rows = JSON.stringify(envelopes.map((envelope) => ({ id: envelope.id, type: envelope.type, envelope })));
    await this.database.query(
      sql`insert into bus_messages (message_id, consumer, envelope)
          select e.id, b.consumer, e.envelope
          from jsonb_to_recordset(${rows}::jsonb) as e(id uuid, type text, envelope jsonb)
          join bus_bindings b on b.event_type = e.type
          order by e.id
          on conflict (consumer, message_id) do nothing`,
    );
    const types = new Set(envelopes.map((envelope) => envelope.type));
    for (const [consumer, bound] of this.localBindings) {
      if ([...types].some((type) => bound.has(type))) this.wake(consumer);
    }
  }

  async sendTo(consumer: string, envelope: Envelope): Promise<void> {
    await this.database.query(
      sql`insert into bus_messages (message_id, consumer, envelope, attempt)
          values (${envelope.id}, ${consumer}, ${JSON.stringify(envelope)}::jsonb, ${envelope.attempt})
          on conflict (consumer, message_id)
          do update set envelope = excluded.envelope, attempt = excluded.attempt, available_at = now(), locked_until = null`,
    );
    this.wake(consumer);
  }

  async consume(subscriptions: Subscription[], deadLetters: DeadLetterSink): Promise<void> {
    await this.declare(subscriptions);
    this.consuming = true;
    for (const { consumer, eventTypes } of subscriptions) {
      const bound = this.localBindings.get(consumer) ?? new Set<string>();
      for (const type of eventTypes) bound.add(type);
      this.localBindings.set(consumer, bound);
    }
    for (const subscription of subscriptions) {
      this.loops.push(withSqlOrigin('table-bus', () => this.loop(subscription, deadLetters)));
    }
    this.heartbeat ??= setInterval(() => void this.extendLeases(), Math.max(100, Math.floor(this.leaseMs / 3)));
  }

  async stopConsuming(): Promise<void> {
    this.consuming = false;
    for (const consumer of this.localBindings.keys()) this.wake(consumer);
    await Promise.allSettled(this.loops);
    await Promise.allSettled([...this.inFlight]);
    await this.deleteHandled();
    await Promise.allSettled([...this.deletes]);
    this.loops.length = 0;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  async isHealthy(): Promise<boolean> {
    try {
      await this.database.ping();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.stopConsuming();
  }

  private async loop(subscription: Subscription, deadLetters: DeadLetterSink): Promise<void> {
    const mine = new Set<Promise<void>>();
    // A batch consumer works on one batch at a time; others on up to `prefetch` messages at once.
    const batch = subscription.deliverBatch ? (subscription.batchSize ?? this.options.prefetch) : 0;
    const capacity = batch ? 1 : this.options.prefetch;
    while (this.consuming) {
      const room = capacity - mine.size;
      let claimed: ClaimedRow[] = [];
      if (room > 0) {
        try {
          claimed = await this.claim(subscription.consumer, batch || room);
        } catch (error) {
          this.log.warn({ err: error, consumer: subscription.consumer }, 'table bus could not claim messages');
        }
      }
      const works =
        batch && claimed.length > 1
          ? [this.handleBatch(subscription, claimed, deadLetters)]
          : claimed.map((row) => this.handle(subscription, row, deadLetters));
      for (const started of works) {
        const work = started.finally(() => {
          mine.delete(work);
          this.inFlight.delete(work);
        });
        mine.add(work);
        this.inFlight.add(work);
      }
      // Fewer than asked for: the queue is drained for now, so wait to be woken (a publish, a handler
      // finishing, or the idle poll) instead of claiming again at once.
      if (claimed.length < (batch || room) || mine.size >= capacity) {
        await this.waitForWork(subscription.consumer, mine, capacity);
        if (batch) await sleep(BATCH_LINGER_MS);
      }
    }
  }

  /**
   * A batch consumer's claimed rows in one delivery, and one delete for all of them. If the batch fails,
   * each row goes through `handle` on its own, so retries and dead letters stay per message.
   */
  private async handleBatch(subscription: Subscription, rows: ClaimedRow[], deadLetters: DeadLetterSink) {
    const envelopes = rows.map(envelopeOf);
    for (const row of rows) this.leased.add(row.id);
    try {
      await withDeliveryDeadline(this.options.handlerTimeoutMs, (signal) =>
        subscription.deliverBatch!(envelopes, signal),
      );
      for (const row of rows) this.settled(row.id);
    } catch (error) {
      this.log.warn(
        { err: error, consumer: subscription.consumer, messages: rows.length },
        'table bus batch failed; handling its messages one by one',
      );
      for (const row of rows) await this.handle(subscription, row, deadLetters);
    }
  }

  /** A handled row: deleted with the others that finish within `DELETE_AFTER_MS`; leased until then. */
  private settled(rowId: number): void {
    this.handled.push(rowId);
    this.deleting ??= setTimeout(() => void this.deleteHandled(), DELETE_AFTER_MS);
  }

  private async deleteHandled(): Promise<void> {
    clearTimeout(this.deleting);
    this.deleting = undefined;
    const ids = this.handled;
    this.handled = [];
    if (ids.length === 0) return;
    const work = this.database
      // One array parameter: drizzle would spread a bare array into a (…) list.
      .query(sql`delete from bus_messages where id = any(${sql.param(ids)}::bigint[])`)
      .then(
        () => undefined,
        // The leases run out and the messages come back: the inboxes make the redelivery a no-op.
        (error: unknown) =>
          this.log.warn({ err: error, messages: ids.length }, 'table bus could not delete handled messages'),
      )
      .finally(() => {
        for (const id of ids) this.leased.delete(id);
        this.deletes.delete(work);
      });
    this.deletes.add(work);
    await work;
  }

  /**
   * Sleeps until a message is published here for this consumer, one of its handlers finishes (when it is
   * full), or the idle poll interval passes (work from other processes, retries coming due, lapsed leases).
   */
  private async waitForWork(consumer: string, mine: Set<Promise<void>>, capacity: number): Promise<void> {
    const channel = `message:${consumer}`;
    let onMessage: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const wake = new Promise<void>((resolve) => {
      onMessage = resolve;
      timer = setTimeout(resolve, IDLE_POLL_MS);
      this.wakeups.once(channel, onMessage);
    });
    const candidates: Promise<unknown>[] = [wake];
    if (mine.size >= capacity) candidates.push(...mine);
    await Promise.race(candidates);
    clearTimeout(timer);
    this.wakeups.off(channel, onMessage);
  }

  private wake(consumer: string): void {
    this.wakeups.emit(`message:${consumer}`);
  }

  private claim(consumer: string, limit: number): Promise<ClaimedRow[]> {
    return this.database.query<ClaimedRow>(
      sql`update bus_messages set locked_until = now() + ${this.leaseMs}::int * interval '1 millisecond'
          where id in (
            select id from bus_messages
            where consumer = ${consumer} and available_at <= now()
              and (locked_until is null or locked_until < now())
            order by id
            limit ${limit}
            for update skip locked)
          returning id, envelope, attempt`,
    );
  }

  private async handle(subscription: Subscription, row: ClaimedRow, deadLetters: DeadLetterSink): Promise<void> {
    const envelope = envelopeOf(row);
    this.leased.add(row.id);
    try {
      await withDeliveryDeadline(this.options.handlerTimeoutMs, (signal) => subscription.deliver(envelope, signal));
    } catch (error) {
      await this.fail(subscription.consumer, row.id, envelope, error, deadLetters).catch((failure: unknown) =>
        // The lease runs out and the message comes back: nothing is lost.
        this.log.error({ err: failure, consumer: subscription.consumer }, 'table bus could not record a failure'),
      );
      this.leased.delete(row.id);
      return;
    }
    this.settled(row.id);
  }

  private async extendLeases(): Promise<void> {
    if (this.leased.size === 0) return;
    const ids = [...this.leased];
    try {
      await this.database.query(
        sql`update bus_messages set locked_until = now() + ${this.leaseMs}::int * interval '1 millisecond'
            where id in (${sql.join(
              ids.map((id) => sql`${id}`),
              sql`, `,
            )})`,
      );
    } catch (error) {
      this.log.warn({ err: error }, 'table bus could not extend its leases');
    }
  }

  private async fail(
    consumer: string,
    rowId: number,
    envelope: Envelope,
    error: unknown,
    deadLetters: DeadLetterSink,
  ): Promise<void> {
    const delay = retryDelay(this.options.retryDelaysMs, envelope.attempt, error);
    const message = describeError(error);
    if (delay === null) {
      await deadLetters.store({ consumer, envelope, error: message });
      await this.database.query(sql`delete from bus_messages where id = ${rowId}`);
      return;
    }
    await this.database.query(
      sql`update bus_messages
          set attempt = attempt + 1, locked_until = null, last_error = ${message},
              available_at = now() + ${delay}::int * interval '1 millisecond'
          where id = ${rowId}`,
    );
  }
}

/** The stored envelope with the row's attempt (retries count there). */
function envelopeOf(row: ClaimedRow): Envelope {
  const stored = typeof row.envelope === 'string' ? (JSON.parse(row.envelope) as Envelope) : row.envelope;
  return { ...stored, attempt: row.attempt };
}
