import type { Db, SqlDatabase, TransactionOptions } from '../database/sql-database.js';
import type { Envelope, EventDefinition } from './envelope.js';
import { writeToOutbox, type OutboxEvent } from './outbox.js';
import type { OutboxRelay } from './outbox-relay.js';

export type Emit = <Payload>(
  definition: EventDefinition<Payload>,
  event: OutboxEvent<Payload>,
) => Promise<Envelope<Payload>>;

/**
 * A transaction that may emit events: each `emit` writes an outbox row in the transaction, and once
 * it commits the relay is kicked to publish them. Rolled back → nothing is published.
 */
export class UnitOfWork {
  constructor(private readonly relay: OutboxRelay) {}

  async run<T>(
    database: SqlDatabase,
    work: (tx: Db, emit: Emit) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    let emitted = false;
    const result = await database.transaction(
      (tx) =>
        work(tx, (definition, event) => {
          emitted = true;
          return writeToOutbox(tx, definition, event);
        }),
      options,
    );
    if (emitted) this.relay.kick(database);
    return result;
  }
}
