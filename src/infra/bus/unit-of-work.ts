import type { Logger } from 'pino';
import type { Db, SqlDatabase, TransactionOptions } from '../database/sql-database.js';
import type { Envelope, EventDefinition } from './envelope.js';
import { writeToOutbox, type OutboxEvent } from './outbox.js';
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

/** One transaction as the code inside it sees it: its writes, its events and its after-commit work. */
export interface Unit {
  tx: Db;
  emit: Emit;
  afterCommit: AfterCommit;
}

/**
 * A transaction that may emit events: each `emit` writes an outbox row in the transaction, and once
 * it commits the relay is kicked to publish them and the after-commit work runs, one task after the
 * other in the order registered (awaited, so a request's answer already reflects it). Rolled back →
 * nothing is published and nothing runs.
 */
export class UnitOfWork {
  constructor(
    private readonly relay: OutboxRelay,
    private readonly log: Logger,
  ) {}

  async run<T>(
    database: SqlDatabase,
    work: (tx: Db, emit: Emit, afterCommit: AfterCommit) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    let emitted = false;
    const after = new Map<string | (() => unknown), () => unknown>();
    const result = await database.transaction(
      (tx) =>
        work(
          tx,
          (definition, event) => {
            emitted = true;
            return writeToOutbox(tx, definition, event);
          },
          (task, key) => {
            if (!after.has(key ?? task)) after.set(key ?? task, task);
          },
        ),
      options,
    );
    if (emitted) this.relay.kick(database);
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
