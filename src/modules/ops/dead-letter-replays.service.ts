import { Inject, Injectable } from '@nestjs/common';
import { DeadLetterStore, type DeadLetter } from '../../infra/bus/dead-letter-store.js';
import { OutboxRelay } from '../../infra/bus/outbox-relay.js';
import { writeToOutbox } from '../../infra/bus/outbox.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { DeadLetterReplayed } from './dead-letter.events.js';

/** Replays a dead letter and records that an operator did: `dead_letter.replayed` commits with the replay mark. */
@Injectable()
export class DeadLetterReplays {
  constructor(
    @Inject(DeadLetterStore) private readonly deadLetters: DeadLetterStore,
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
  ) {}

  async replay(id: string): Promise<DeadLetter | undefined> {
    let emitted = false;
    const letter = await this.deadLetters.replay(id, async (tx, replayed) => {
      await writeToOutbox(tx, DeadLetterReplayed, {
        aggregateId: replayed.id,
        // The replayed message's tenant, so filtering the audit trail by tenant shows the replay too.
        tenant: replayed.tenant,
        payload: {
          messageId: replayed.messageId,
          consumer: replayed.consumer,
          eventType: replayed.eventType,
          attempts: replayed.attempts,
        },
      });
      emitted = true;
    });
    if (emitted) this.relay.kick(this.control);
    return letter;
  }
}
