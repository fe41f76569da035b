import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { DeadLetterSink } from './bus.port.js';
import { readEnvelope } from './rabbit-consumer.js';
import { DELIVERY_LIMIT, type RabbitNames } from './rabbit-topology.js';

/** One `x-death` entry, as RabbitMQ writes it when it dead-letters a message. */
interface Death {
  queue?: unknown;
  reason?: unknown;
}

/**
 * Moves what the broker itself dead-lettered — a message redelivered past a consumer queue's delivery
 * limit — from the namespace's dead-letter queue into the dead-letter store, so operators list and
 * replay every dead letter in one place. A message is acked only once stored; while the store is down
 * it stays unacked (one at a time) and is tried again with backoff.
 */
export class RabbitDeadLetterIntake {
  private consumerTag: string | undefined;
  private stopped = false;
  private readonly channelGone = new AbortController();

  constructor(
    readonly channel: Channel,
    private readonly names: RabbitNames,
    private readonly deadLetters: DeadLetterSink,
    private readonly inFlight: Set<Promise<void>>,
    private readonly log: Logger,
  ) {
    channel.once('close', () => this.channelGone.abort());
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  async start(): Promise<void> {
    await this.channel.prefetch(1);
    const { consumerTag } = await this.channel.consume(this.names.deadLetterQueue, (message) => {
      if (!message || this.stopped) return;
      const work = this.take(message).finally(() => this.inFlight.delete(work));
      this.inFlight.add(work);
    });
    this.consumerTag = consumerTag;
  }

  async cancel(): Promise<void> {
    this.stopped = true;
    if (this.consumerTag) await this.channel.cancel(this.consumerTag);
  }

  private async take(message: ConsumeMessage): Promise<void> {
    const { envelope } = readEnvelope(message);
    const { consumer, error } = this.describe(message);
    for (let attempt = 0; !this.stopped && !this.channelGone.signal.aborted; attempt++) {
      try {
        await this.deadLetters.store({ consumer, envelope, error });
        this.log.error({ consumer, messageId: envelope.id, type: envelope.type, error }, 'dead-lettered by RabbitMQ');
        this.channel.ack(message);
        return;
      } catch (storeError) {
        this.log.warn({ err: storeError, consumer, messageId: envelope.id }, 'dead-letter store failed; trying again');
        await sleep(Math.min(500 * 2 ** attempt, 30_000), undefined, { signal: this.channelGone.signal }).catch(
          () => undefined,
        );
      }
    }
    // Stopped or disconnected: the unacked message returns to the queue for the next intake.
  }

  /**
   * Whose queue it died in, and why, from the `x-death` header RabbitMQ adds — or, for the `.dlq`
   * copies an older Ordo kept (moved here by `rabbit-upgrade.ts`), from the headers it wrote.
   */
  private describe(message: ConsumeMessage): { consumer: string; error: string } {
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    const copiedFrom = headers['x-ordo-consumer'];
    if (typeof copiedFrom === 'string') {
      const error = headers['x-ordo-error'];
      return { consumer: copiedFrom, error: typeof error === 'string' ? error : 'dead-lettered by an older Ordo' };
    }
    const [death] = (Array.isArray(headers['x-death']) ? headers['x-death'] : []) as Death[];
    const queue = typeof death?.queue === 'string' ? death.queue : '';
    const prefix = `${this.names.namespace}.`;
    const consumer = queue.startsWith(prefix) ? queue.slice(prefix.length) : 'unknown';
    const reason = typeof death?.reason === 'string' ? death.reason : 'unknown';
    const why =
      reason === 'delivery_limit'
        ? `delivered ${DELIVERY_LIMIT} times without being settled: its handler's process crashed or lost its connection each time`
        : `RabbitMQ gave the reason "${reason}"`;
    return { consumer, error: `DeadLetteredByBroker: ${why} (from ${queue || 'an unknown queue'})` };
  }
}
