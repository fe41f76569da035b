import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { BATCH_LINGER_MS, type DeadLetterSink, type Subscription } from './bus.port.js';
import { envelopeSchema, type Envelope } from './envelope.js';
import { withDeliveryDeadline } from './delivery-deadline.js';
import { describeError } from './permanent-failure.js';
import { envelopeMessage, type OutgoingMessage, type RabbitPublisher } from './rabbit-publisher.js';
import { RETRY_DELAY_HEADER, type RabbitNames } from './rabbit-topology.js';
import { retryDelay } from './retry-policy.js';
/** 200 ms doubling, capped at 15 s: about a minute of patience before the connection is reset. */
const SETTLE_PUBLISH_ATTEMPTS = 8;

export interface RabbitConsumerContext {
  names: RabbitNames;
  retryDelaysMs: readonly number[];
  handlerTimeoutMs?: number;
  /** The live connection's publisher: retries and dead-letter copies go out with confirms. */
  publisher: RabbitPublisher;
  deadLetters: DeadLetterSink;
  /** Shared with the bus, so stopping waits for handlers of every connection, old ones included. */
  inFlight: Set<Promise<void>>;
  /** Called when this consumer can no longer settle messages; the bus reconnects. */
  broken(reason: string): void;
  log: Logger;
}

/**
 * One subscription consuming its queue on its own channel; the channel's prefetch bounds the messages
 * it works on at once. Every message is acked exactly when it left the queue for good: handled, moved
 * to a retry tier (the namespace's delay queue for that tier, which returns it to this queue), or
 * stored as a dead letter. Never nacked: a message that could not be settled stays unacked
 * and returns to the queue when the channel closes — a redelivery, which the inbox makes harmless.
 */
export class RabbitConsumer {
  private consumerTag: string | undefined;
  private stopped = false;
  /** Aborted when the channel closes: its unacked messages are back in the queue, patience is pointless. */
  private readonly channelGone = new AbortController();
  /** A batch consumer's messages waiting to be handled together. */
  private buffer: ConsumeMessage[] = [];
  private lingering: NodeJS.Timeout | undefined;

  constructor(
    readonly channel: Channel,
    private readonly subscription: Subscription,
    private readonly context: RabbitConsumerContext,
  ) {
    channel.once('close', () => this.channelGone.abort());
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  async start(): Promise<void> {
    const { consumerTag } = await this.channel.consume(
      this.context.names.queue(this.subscription.consumer),
      (message) => this.onMessage(message),
    );
    this.consumerTag = consumerTag;
  }

  /** Stops taking messages; ones the broker already pushed are left unacked and return when the channel closes. */
  async cancel(): Promise<void> {
    this.stopped = true;
    if (this.consumerTag) await this.channel.cancel(this.consumerTag);
  }

  private onMessage(message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled us (queue deleted, node down): only a fresh declare and consume help.
      if (!this.stopped) this.context.broken(`consumer ${this.subscription.consumer} was cancelled by the broker`);
      return;
    }
    if (this.stopped) return;
    if (this.subscription.deliverBatch) {
      this.buffer.push(message);
      if (this.buffer.length >= (this.subscription.batchSize ?? 1)) this.flush();
      else this.lingering ??= setTimeout(() => this.flush(), BATCH_LINGER_MS);
      return;
    }
    this.track(this.handle(message));
  }

  private track(started: Promise<void>): void {
    const work = started.finally(() => this.context.inFlight.delete(work));
    this.context.inFlight.add(work);
  }

  private flush(): void {
    clearTimeout(this.lingering);
    this.lingering = undefined;
    const messages = this.buffer;
    this.buffer = [];
    // Stopped: left unacked, they return to the queue when the channel closes.
    if (messages.length === 0 || this.stopped) return;
    this.track(messages.length === 1 ? this.handle(messages[0]!) : this.handleBatch(messages));
  }

  /**
   * A batch consumer's messages in one delivery, each acked once it committed. A body that is not an
   * envelope, or a batch that fails, goes through `handle` message by message: retries and dead letters
   * stay per message.
   */
  private async handleBatch(messages: ConsumeMessage[]): Promise<void> {
    const readable: { message: ConsumeMessage; envelope: Envelope }[] = [];
    for (const message of messages) {
      const read = readEnvelope(message);
      if ('invalid' in read) await this.handle(message);
      else readable.push({ message, envelope: read.envelope });
    }
    if (readable.length === 0) return;
    try {
      await withDeliveryDeadline(this.context.handlerTimeoutMs, (signal) =>
        this.subscription.deliverBatch!(
          readable.map((item) => item.envelope),
          signal,
        ),
      );
    } catch (error) {
      this.context.log.warn(
        { err: error, consumer: this.subscription.consumer, messages: readable.length },
        'batch failed; handling its messages one by one',
      );
      for (const { message } of readable) await this.handle(message);
      return;
    }
    for (const { message } of readable) this.ack(message);
  }

  private ack(message: ConsumeMessage): void {
    try {
      this.channel.ack(message);
    } catch (error) {
      // The channel died after the work was done: the broker redelivers, the inbox dedupes.
      this.context.log.warn(
        { err: error, consumer: this.subscription.consumer, messageId: message.properties.messageId },
        'rabbit bus could not ack',
      );
    }
  }

  private async handle(message: ConsumeMessage): Promise<void> {
    const { consumer } = this.subscription;
    try {
      await this.settle(message);
    } catch (error) {
      this.context.log.error(
        { err: error, consumer, messageId: message.properties.messageId },
        'rabbit bus could not settle a message; it will be redelivered',
      );
      // Until its channel closes, the unacked message would hold a prefetch slot forever.
      this.context.broken(`consumer ${consumer} could not settle a message`);
      return;
    }
    this.ack(message);
  }

  /** Resolves once the message may be acked. */
  private async settle(message: ConsumeMessage): Promise<void> {
    const read = readEnvelope(message);
    if ('invalid' in read) return this.deadLetter(read.envelope, read.invalid, message);
    const { envelope } = read;
    try {
      await withDeliveryDeadline(this.context.handlerTimeoutMs, (signal) =>
        this.subscription.deliver(envelope, signal),
      );
      return;
    } catch (error) {
      const delayMs = retryDelay(this.context.retryDelaysMs, envelope.attempt, error);
      if (delayMs === null) return this.deadLetter(envelope, describeError(error), message);
      this.context.log.warn(
        {
          err: error,
          consumer: this.subscription.consumer,
          messageId: envelope.id,
          attempt: envelope.attempt,
          delayMs,
        },
        'delivery failed; retrying later',
      );
      // Mandatory: a missing tier makes the publish fail (so no ack, and a redelivery) where the
      // exchange would otherwise drop the message without a word.
      const retry = envelopeMessage('', '', { ...envelope, attempt: envelope.attempt + 1 });
      await this.patiently(() => this.context.publisher.publish([this.toTier(retry, delayMs)], { mandatory: true }));
    }
  }

  /** Addressed to the delay queue of `delayMs`, and through it back to this consumer's queue. */
  private toTier(message: OutgoingMessage, delayMs: number): OutgoingMessage {
    const headers = {
      ...(message.properties.headers as Record<string, unknown>),
      [RETRY_DELAY_HEADER]: String(delayMs),
    };
    return {
      ...message,
      exchange: this.context.names.retryExchange,
      routingKey: this.context.names.queue(this.subscription.consumer),
      properties: { ...message.properties, headers },
    };
  }

  /**
   * Retries a settling publish (to a retry tier) with backoff while the message stays unacked, instead of
   * giving up at once: giving up drops the connection, which redelivers every unacked message and runs
   * their handlers again — during a broker alarm, over and over. Only after ~1 minute is it given up.
   */
  private async patiently(publish: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await publish();
      } catch (error) {
        if (this.stopped || this.channelGone.signal.aborted || attempt >= SETTLE_PUBLISH_ATTEMPTS) throw error;
        this.context.log.warn(
          { err: error, consumer: this.subscription.consumer, attempt },
          'could not move a message to its retry tier; trying again',
        );
        await sleep(Math.min(200 * 2 ** attempt, 15_000), undefined, { signal: this.channelGone.signal }).catch(
          () => undefined,
        );
      }
    }
  }

  /**
   * The dead-letter store in the control database is the one record operators list and replay. While
   * it is down the message is parked in the last retry tier rather than left unacked (which would stall
   * the consumer) or bounced straight back (a hot loop for as long as Postgres is out). Parking
   * republishes the message's own bytes: a body that is not an envelope must stay one that is not.
   */
  private async deadLetter(envelope: Envelope, error: string, message: ConsumeMessage): Promise<void> {
    const { consumer } = this.subscription;
    const { log, retryDelaysMs } = this.context;
    log.error(
      { consumer, messageId: envelope.id, type: envelope.type, attempt: envelope.attempt, error },
      'dead-lettering',
    );
    try {
      await this.context.deadLetters.store({ consumer, envelope, error });
    } catch (storeError) {
      const parkMs = retryDelaysMs.at(-1);
      if (parkMs === undefined) throw storeError;
      log.error(
        { err: storeError, consumer, messageId: envelope.id, parkMs },
        'dead-letter store failed; parking the message',
      );
      const properties = message.properties as { contentType?: string; headers?: Record<string, unknown> };
      const traceparent = properties.headers?.traceparent;
      const parked: OutgoingMessage = {
        exchange: '',
        routingKey: '',
        content: message.content,
        properties: {
          persistent: true,
          contentType: properties.contentType,
          messageId: envelope.id,
          type: envelope.type,
          timestamp: Math.floor(Date.now() / 1000),
          headers: typeof traceparent === 'string' ? { traceparent } : {},
        },
      };
      await this.context.publisher.publish([this.toTier(parked, parkMs)], { mandatory: true });
    }
  }
}

type ReadResult = { envelope: Envelope } | { envelope: Envelope; invalid: string };

/**
 * A body that is not an envelope can never succeed, so it is dead-lettered at once rather than dropped:
 * the dead-letter store keeps a synthetic envelope carrying the raw body, so an operator sees what
 * arrived.
 */
export function readEnvelope(message: ConsumeMessage): ReadResult {
  const text = message.content.toString('utf8');
  let reason: string;
  try {
    const parsed = envelopeSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { envelope: parsed.data };
    reason = `not an envelope: ${parsed.error.message}`;
  } catch (error) {
    reason = `unparseable message body: ${describeError(error)}`;
  }
  const { messageId, type } = message.properties as { messageId?: unknown; type?: unknown };
  const envelope: Envelope = {
    id: typeof messageId === 'string' && UUID.test(messageId) ? messageId : randomUUID(),
    type: typeof type === 'string' && type ? type : 'unknown',
    tenant: null,
    aggregateId: '',
    occurredAt: new Date().toISOString(),
    attempt: 1,
    payload: { unreadableBody: text },
  };
  return { envelope, invalid: `PermanentFailure: ${reason}` };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
