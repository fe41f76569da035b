import { connect, type Channel } from 'amqplib';
import type { Subscription } from './bus.port.js';

/** Every exchange and queue name the RabbitMQ bus uses, derived from the namespace (`ordo`). */
export class RabbitNames {
  constructor(readonly namespace: string) {}

  get exchange(): string {
    return `${this.namespace}.events`;
  }

  queue(consumer: string): string {
    return `${this.namespace}.${consumer}`;
  }

  /** The delay is in the name: changing a tier declares a new queue instead of clashing with the old TTL. */
  retryQueue(consumer: string, delayMs: number): string {
    return `${this.namespace}.${consumer}.retry.${delayMs}`;
  }

  deadLetterQueue(consumer: string): string {
    return `${this.namespace}.${consumer}.dlq`;
  }
}

const QUORUM = { 'x-queue-type': 'quorum' } as const;

export async function declareExchange(channel: Channel, names: RabbitNames): Promise<void> {
  await channel.assertExchange(names.exchange, 'topic', { durable: true });
}

/**
 * Declares one consumer's queues; every call is idempotent. Bindings are only added: a type the consumer
 * no longer handles keeps its binding until an operator removes it (the handler dead-letters it meanwhile).
 * A queue that exists with other arguments fails with PRECONDITION_FAILED and closes the channel.
 */
export async function declareConsumer(
  channel: Channel,
  names: RabbitNames,
  { consumer, eventTypes }: Pick<Subscription, 'consumer' | 'eventTypes'>,
  retryDelaysMs: readonly number[],
): Promise<void> {
  await declareExchange(channel, names);
  const queue = names.queue(consumer);
  await channel.assertQueue(queue, { durable: true, arguments: QUORUM });
  for (const eventType of eventTypes) await channel.bindQueue(queue, names.exchange, eventType);
  for (const delayMs of new Set(retryDelaysMs)) {
    // Quorum delay queues (message TTL and dead-lettering need RabbitMQ ≥ 3.10): replicated like the main
    // queue, and `at-least-once` dead-lettering keeps a message until the main queue confirms it, where
    // the default strategy could drop it in flight. That strategy requires `reject-publish` overflow;
    // with no length limit set, nothing is ever rejected. Every message in a tier has the same TTL, so
    // expiring only at the head of the queue (how quorum queues do it) releases them in order, on time.
    await channel.assertQueue(names.retryQueue(consumer, delayMs), {
      durable: true,
      arguments: {
        ...QUORUM,
        'x-message-ttl': delayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queue,
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    });
  }
  await channel.assertQueue(names.deadLetterQueue(consumer), { durable: true, arguments: QUORUM });
}

/**
 * Deletes the exchange and every queue the bus declared for these consumers, messages included.
 * For tests and teardown scripts. The retry queues are named after their delays, so pass the same
 * `retryDelaysMs` the bus used, or they stay behind.
 */
export async function deleteRabbitTopology(
  url: string,
  namespace: string,
  consumers: string[],
  retryDelaysMs: readonly number[] = [],
): Promise<void> {
  const names = new RabbitNames(namespace);
  const connection = await connect(url, { timeout: 5_000 });
  try {
    const channel = await connection.createChannel();
    for (const consumer of consumers) {
      // Deleting a queue that does not exist succeeds, so a half-declared topology cleans up too.
      await channel.deleteQueue(names.queue(consumer));
      for (const delayMs of new Set(retryDelaysMs)) await channel.deleteQueue(names.retryQueue(consumer, delayMs));
      await channel.deleteQueue(names.deadLetterQueue(consumer));
    }
    await channel.deleteExchange(names.exchange);
  } finally {
    await connection.close().catch(() => undefined);
  }
}
