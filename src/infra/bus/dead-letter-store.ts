import { desc, eq, sql } from 'drizzle-orm';
import { newId } from '../../common/ids.js';
import type { Db, SqlDatabase } from '../database/sql-database.js';
import type { BusPort, DeadLetterSink, FailedDelivery } from './bus.port.js';
import { deadLetters } from './bus.tables.js';
import type { Envelope } from './envelope.js';

export type DeadLetter = typeof deadLetters.$inferSelect;

export interface DeadLetterObserver {
  deadLettered(consumer: string, type: string): void;
}

/** Dead letters live in the control database whatever the transport, so one API lists and replays them. */
export class DeadLetterStore implements DeadLetterSink {
  constructor(
    private readonly control: SqlDatabase,
    private readonly bus: BusPort,
    private readonly observer?: DeadLetterObserver,
  ) {}

  async store({ consumer, envelope, error }: FailedDelivery): Promise<void> {
    // The same message dying again after a replay updates its row instead of adding a second one.
    await this.control.transaction((tx) =>
      tx
        .insert(deadLetters)
        .values({
          id: newId(),
          messageId: envelope.id,
          consumer,
          eventType: envelope.type,
          tenant: envelope.tenant,
          envelope,
          error,
          attempts: envelope.attempt,
        })
        .onConflictDoUpdate({
          target: [deadLetters.consumer, deadLetters.messageId],
          set: { error, attempts: envelope.attempt, envelope, deadAt: sql`now()`, replayedAt: null },
        }),
    );
    this.observer?.deadLettered(consumer, envelope.type);
  }

  async list(page: number, perPage: number): Promise<{ data: DeadLetter[]; total: number }> {
    return this.control.transaction(async (tx) => {
      const data = await tx
        .select()
        .from(deadLetters)
        .orderBy(desc(deadLetters.deadAt))
        .limit(perPage)
        .offset((page - 1) * perPage);
      const [count] = await tx.select({ total: sql<number>`count(*)::int` }).from(deadLetters);
      return { data, total: Number(count?.total ?? 0) };
    });
  }

  async find(id: string): Promise<DeadLetter | undefined> {
    const [row] = await this.control.transaction((tx) => tx.select().from(deadLetters).where(eq(deadLetters.id, id)));
    return row;
  }

  /**
   * Puts the message back on its consumer's queue as a first attempt; its id is kept, so the inbox still dedupes.
   * `onReplayed` runs in the transaction that marks the letter replayed: the ops API writes its audit event there.
   */
  async replay(
    id: string,
    onReplayed?: (tx: Db, letter: DeadLetter) => Promise<void>,
  ): Promise<DeadLetter | undefined> {
    const letter = await this.find(id);
    if (!letter) return undefined;
    const envelope = { ...(letter.envelope as Envelope), attempt: 1 };
    await this.bus.sendTo(letter.consumer, envelope);
    return this.control.transaction(async (tx) => {
      const [updated] = await tx
        .update(deadLetters)
        .set({ replayedAt: sql`now()` })
        .where(eq(deadLetters.id, id))
        .returning();
      if (updated) await onReplayed?.(tx, updated);
      return updated;
    });
  }
}
