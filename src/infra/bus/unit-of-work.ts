import type { Logger } from 'pino';
import type { Db, SqlDatabase, TransactionOptions } from '../database/sql-database.js';
import type { Envelope, EventDefinition } from './envelope.js';
import { insertIntoOutbox, outboxEnvelope, type OutboxEvent } from './outbox.js';
import type { OutboxRelay } from './outbox-relay.js';

export type Emit = <Payload>(
  definition: EventDefinition<Payload>,
  event: OutboxEvent<Payload>,
) => Promise<Envelope<Payload>>;

/**
 * Registers best-effort work to run once the transaction has committed (a cache invalidation, a
 * realtime push): never inside it, skipped if it rolls back, and a failure is logged, not thrown.
 * Work registered twice under the same `key` runs once.
 */
export type AfterCommit = (work: () => unknown, key?: string) => void;

/** Best-effort work for an event once the transaction that emitted it committed (a realtime push). */
export type CommittedListener<Payload> = (envelope: Envelope<Payload>) => unknown;

/** One transaction as the code inside it sees it: its writes, its events and its after-commit work. */
export interface Unit {
  tx: Db;
  emit: Emit;
  afterCommit: AfterCommit;
}

/**
 * A transaction that may emit events: each `emit` validates its event at once, and the transaction's
 * outbox rows are written together, in one statement, when its work is done (events of one transaction
 * are a round trip, not one each; nothing reads the outbox inside the transaction that writes it). Once
 * it commits the relay is kicked to publish them and the after-commit work runs, one task after the
 * other in the order registered (awaited, so a request's answer already reflects it). Rolled back →
 * nothing is published and nothing runs.
 */
export class UnitOfWork {
  /** By event type: what runs after the commit of any unit that emitted such an event, in this process. */
  private readonly listeners = new Map<string, CommittedListener<unknown>[]>();

  constructor(
    private readonly relay: OutboxRelay,
    private readonly log: Logger,
  ) {}

  /**
   * Runs `listener` after the commit of every transaction that emits one of these events, in the process
   * that committed it, in emission order — how a module reacts to another's change without a hop through
   * the bus when the reaction is best-effort and harmless to miss on a crash (a realtime push). Work that
   * must happen belongs in a consumer.
   */
  onCommitted<Payload>(definitions: EventDefinition<Payload>[], listener: CommittedListener<Payload>): void {
    for (const { type } of definitions) {
      this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener as CommittedListener<unknown>]);
    }
  }

  async run<T>(
    database: SqlDatabase,
    work: (tx: Db, emit: Emit, afterCommit: AfterCommit) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    const emitted: Envelope[] = [];
    const after = new Map<string | (() => unknown), () => unknown>();
    const result = await database.transaction(async (tx) => {
      const value = await work(
        tx,
        async (definition, event) => {
          const envelope = outboxEnvelope(definition, event);
          emitted.push(envelope);
          for (const listener of this.listeners.get(definition.type) ?? []) {
            after.set(`${envelope.id}:${after.size}`, () => listener(envelope));
          }
          return envelope;
        },
        (task, key) => {
          if (!after.has(key ?? task)) after.set(key ?? task, task);
        },
      );
      await insertIntoOutbox(tx, emitted);
      return value;
    }, options);
    if (emitted.length > 0) this.relay.kick(database, emitted);
    // In the order registered: two status pushes of one transaction must reach sockets in order.
    for (const task of after.values()) await this.runAfterCommit(task);
    return result;
  }

  private async runAfterCommit(task: () => unknown): Promise<void> {
    try {
      await task();
    } catch (error) {
      this.log.warn({ err: error }, 'after-commit work failed; the transaction stands');
    }
  }
}
