import { sql } from 'drizzle-orm';
import { runInContext } from '../../common/request-context.js';
import type { Logger } from 'pino';
import type { TenantDatabases } from '../database/tenant-databases.port.js';
import { rowsOf, type SqlDatabase } from '../database/sql-database.js';
import { withSqlOrigin } from '../database/sql-origin.js';
import type { Subscription } from './bus.port.js';
import type { ConsumerOptions, MessageHandler } from './consumer.js';
import { eventDefinition, type Envelope } from './envelope.js';
import { PermanentFailure } from './permanent-failure.js';
import type { UnitOfWork } from './unit-of-work.js';

export interface DeliveryObserver {
  consumed(consumer: string, type: string, outcome: 'handled' | 'duplicate' | 'failed'): void;
}

/**
 * Turns a consumer into a bus subscription with exactly-once effects: the handler's writes and the
 * inbox row `(message id, consumer)` commit in one transaction, so a redelivered message finds its
 * inbox row and does nothing.
 */
export class InboxProcessor {
  constructor(
    private readonly control: SqlDatabase,
    private readonly tenants: TenantDatabases,
    private readonly unitOfWork: UnitOfWork,
    private readonly log: Logger,
    private readonly observer?: DeliveryObserver,
  ) {}

  subscription(options: ConsumerOptions, handler: MessageHandler<unknown, unknown>): Subscription {
    return {
      consumer: options.name,
      eventTypes: options.events.map((event) => event.type),
      deliver: (envelope, signal) => this.deliver(options, handler, envelope, signal),
      ...(options.batch
        ? {
            batchSize: options.batch,
            deliverBatch: (envelopes: Envelope[], signal: AbortSignal) =>
              withSqlOrigin(`consumer:${options.name}`, () => this.deliverBatch(options, handler, envelopes, signal)),
          }
        : {}),
    };
  }

  /**
   * Many messages in one transaction on the control database: one multi-row inbox insert says which
   * are new, and the handler runs for each of those, in order, each in its own request context. All
   * commit together or none (the transport then retries them one by one).
   */
  private async deliverBatch(
    options: ConsumerOptions,
    handler: MessageHandler<unknown, unknown>,
    envelopes: Envelope[],
    signal: AbortSignal,
  ): Promise<void> {
    const items = envelopes.map((envelope) => ({ envelope, payload: this.parse(envelope) }));
    const prepared: unknown[] = [];
    if (handler.prepareBatch) prepared.push(...(await handler.prepareBatch(items)));
    else for (const { payload, envelope } of items) prepared.push(await handler.prepare?.(payload, envelope));
    signal.throwIfAborted();
    const fresh = await this.unitOfWork.run(
      this.control,
      async (tx, emit, afterCommit) => {
        // One array parameter: drizzle would spread a bare array into a (…) list.
        const ids = sql.param(envelopes.map((envelope) => envelope.id));
        const inserted = await rowsOf<{ message_id: string }>(
          tx,
          sql`insert into inbox (message_id, consumer)
              select id, ${options.name} from unnest(${ids}::uuid[]) as id
              on conflict do nothing returning message_id`,
        );
        const isNew = new Set(inserted.map((row) => row.message_id));
        const fresh = [...items.entries()].filter(([, { envelope }]) => isNew.has(envelope.id));
        if (handler.handleBatch) {
          await handler.handleBatch(
            fresh.map(([index, { envelope }]) => ({ tx, emit, afterCommit, envelope, prepared: prepared[index] })),
            fresh.map(([, { payload }]) => payload),
          );
          return isNew;
        }
        for (const [index, { envelope, payload }] of fresh) {
          await runInContext(this.contextOf(options, envelope), () =>
            handler.handle(payload, { tx, emit, afterCommit, envelope, prepared: prepared[index] }),
          );
        }
        return isNew;
      },
      { signal },
    );
    for (const { envelope } of items) {
      this.observer?.consumed(options.name, envelope.type, fresh.has(envelope.id) ? 'handled' : 'duplicate');
    }
  }

  /** Handlers act as the system, named after the consumer; the request id carries through for tracing. */
  private deliver(
    options: ConsumerOptions,
    handler: MessageHandler<unknown, unknown>,
    envelope: Envelope,
    signal: AbortSignal,
  ): Promise<void> {
    return runInContext(this.contextOf(options, envelope), () =>
      withSqlOrigin(`consumer:${options.name}`, () => this.deliverInContext(options, handler, envelope, signal)),
    );
  }

  private async deliverInContext(
    options: ConsumerOptions,
    handler: MessageHandler<unknown, unknown>,
    envelope: Envelope,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      const payload = this.parse(envelope);
      const database = await this.databaseFor(options, envelope);
      const prepared: unknown = await handler.prepare?.(payload, envelope);
      signal.throwIfAborted();
      const outcome = await this.unitOfWork.run(
        database,
        async (tx, emit, afterCommit) => {
          const fresh = await rowsOf(
            tx,
            sql`insert into inbox (message_id, consumer) values (${envelope.id}, ${options.name})
                on conflict do nothing returning message_id`,
          );
          if (fresh.length === 0) return 'duplicate' as const;
          await handler.handle(payload, { tx, emit, afterCommit, envelope, prepared });
          return 'handled' as const;
        },
        { signal },
      );
      this.observer?.consumed(options.name, envelope.type, outcome);
    } catch (error) {
      this.observer?.consumed(options.name, envelope.type, 'failed');
      this.log.warn(
        { err: error, consumer: options.name, type: envelope.type, messageId: envelope.id, attempt: envelope.attempt },
        'message handler failed',
      );
      throw error;
    }
  }

  private contextOf(options: ConsumerOptions, envelope: Envelope) {
    return {
      requestId: envelope.meta?.requestId ?? undefined,
      actor: { id: `consumer:${options.name}`, role: 'SYSTEM' },
    };
  }

  private parse(envelope: Envelope): unknown {
    const definition = eventDefinition(envelope.type);
    if (!definition) throw new PermanentFailure(`No schema is registered for event type "${envelope.type}"`);
    const parsed = definition.schema.safeParse(envelope.payload);
    if (!parsed.success) {
      throw new PermanentFailure(`Invalid ${envelope.type} payload: ${parsed.error.message}`);
    }
    return parsed.data;
  }

  private async databaseFor(options: ConsumerOptions, envelope: Envelope): Promise<SqlDatabase> {
    if (options.scope === 'control') return this.control;
    if (!envelope.tenant)
      throw new PermanentFailure(`${envelope.type} has no tenant but ${options.name} is tenant-scoped`);
    return this.tenants.forTenant(envelope.tenant);
  }
}
