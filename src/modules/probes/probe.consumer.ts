import { Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import { ProbeRequested } from './probe.events.js';
import { busProbes } from './probes.tables.js';

type ProbePayload = { delayMs: number; fail: boolean };

/** Counts each probe it handles; the count shows whether a message took effect exactly once. */
@Injectable()
@Consumer({ name: 'bus-probe', events: [ProbeRequested], scope: 'control' })
export class ProbeConsumer implements MessageHandler<ProbePayload> {
  async prepare(payload: ProbePayload): Promise<void> {
    if (payload.delayMs > 0) await sleep(payload.delayMs);
  }

  async handle(payload: ProbePayload, { tx, envelope }: HandlerContext): Promise<void> {
    if (payload.fail) throw new Error(`probe ${envelope.aggregateId} was asked to fail`);
    await tx
      .update(busProbes)
      .set({ handledCount: sql`${busProbes.handledCount} + 1`, lastHandledAt: sql`now()` })
      .where(eq(busProbes.id, envelope.aggregateId));
  }
}
