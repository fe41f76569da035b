import { connect, type Channel } from 'amqplib';
import type { Subscription } from './bus.port.js';

/**
 * Every exchange and queue name the RabbitMQ bus uses, derived from the namespace (`ordo`). Consumer
 * names are `[a-z][a-z0-9-]*` (no dots), so the dotted delay queues never collide with a consumer's
 * queue; `dead-letters` is a reserved consumer name.
 */
export class RabbitNames {
  constructor(readonly namespace: string) {}

  /** Topic exchange every event is published to, routed by its type. */
  get exchange(): string {
    return `${this.namespace}.events`;
  }

  /**
   * Headers exchange in front of the delay queues: a failed delivery is published here with the
   * consumer's queue as its routing key and its tier in the `ordo-retry-delay` header.
   */
  get retryExchange(): string {
    return `${this.namespace}.retry`;
  }

  queue(consumer: string): string {
    return `${this.namespace}.${consumer}`;
  }

  /** One per tier, shared by every consumer; the delay is in the name, so a changed tier is a new queue. */
  retryQueue(delayMs: number): string {
    return `${this.namespace}.retry.${delayMs}`;
  }

  /** Where the broker puts what a main queue dead-letters (a message past the delivery limit). */
  get deadLetterQueue(): string {
    return `${this.namespace}.${DEAD_LETTERS}`;
  }

  /** Every queue of this namespace's topology, for counting, purging and deleting. */
  allQueues(consumers: readonly string[], retryDelaysMs: readonly number[]): string[] {
    return [
      ...consumers.map((consumer) => this.queue(consumer)),
      ...tiers(retryDelaysMs).map((delayMs) => this.retryQueue(delayMs)),
      this.deadLetterQueue,
    ];
  }
}

/** The dead-letter queue's name within the namespace, so no consumer may be called that. */
export const DEAD_LETTERS = 'dead-letters';

/**
 * The header a retry carries to pick its delay queue. Not `x-…`: a headers exchange ignores headers
 * that start with `x-` when it matches.
 */
export const RETRY_DELAY_HEADER = 'ordo-retry-delay';

/**
 * RabbitMQ 4 gives quorum queues a delivery limit of 20 by default and drops what exceeds it unless
 * the queue dead-letters. Ordo sets the limit itself, so 3.x and 4.x behave alike, and dead-letters
 * to the namespace's queue, from which every worker moves it into the dead-letter store.
 * Only redeliveries count (a worker crashing or losing its connection mid-message): Ordo never
 * requeues, so a message that reaches the limit has crashed its handlers that often.
 */
export const DELIVERY_LIMIT = 20;

const QUORUM = { 'x-queue-type': 'quorum' } as const;

/**
 * Quorum dead-lettering that keeps the message until the target queue confirmed it (the default
 * strategy may drop it in flight). RabbitMQ requires `reject-publish` overflow for it; with no length
 * limit set, nothing is ever rejected.
 */
function deadLetteringTo(exchange: string, routingKey?: string): Record<string, string> {
  return {
    'x-dead-letter-exchange': exchange,
    ...(routingKey === undefined ? {} : { 'x-dead-letter-routing-key': routingKey }),
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

function tiers(retryDelaysMs: readonly number[]): number[] {
  return [...new Set(retryDelaysMs)];
}

/**
 * The namespace's shared part, idempotent: the events exchange, one delay queue per retry tier and
 * the dead-letter queue. A delay queue holds a message for its TTL, then dead-letters it through the
 * default exchange with the routing key it was published with — the consumer's queue. Every message
 * in a tier has the same TTL, so expiring at the head (how quorum queues do it) releases them in
 * order and on time.
 */
export async function declareNamespace(
  channel: Channel,
  names: RabbitNames,
  retryDelaysMs: readonly number[],
): Promise<void> {
  await channel.assertExchange(names.exchange, 'topic', { durable: true });
  await channel.assertExchange(names.retryExchange, 'headers', { durable: true });
  for (const delayMs of tiers(retryDelaysMs)) {
    const queue = names.retryQueue(delayMs);
    await channel.assertQueue(queue, {
      durable: true,
      arguments: { ...QUORUM, 'x-message-ttl': delayMs, ...deadLetteringTo('') },
    });
    await channel.bindQueue(queue, names.retryExchange, '', {
      'x-match': 'all',
      [RETRY_DELAY_HEADER]: String(delayMs),
    });
  }
  await channel.assertQueue(names.deadLetterQueue, { durable: true, arguments: QUORUM });
}

/**
 * One consumer's queue and bindings; idempotent. Bindings are only added: a type the consumer no
 * longer handles keeps its binding until an operator removes it (the handler dead-letters it meanwhile).
 * A queue that exists with other arguments (an older Ordo's) fails with PRECONDITION_FAILED and closes
 * the channel: see `rabbit-upgrade.ts`.
 */
export async function declareConsumer(
  channel: Channel,
  names: RabbitNames,
  { consumer, eventTypes }: Pick<Subscription, 'consumer' | 'eventTypes'>,
): Promise<void> {
  const queue = names.queue(consumer);
  await channel.assertQueue(queue, { durable: true, arguments: consumerQueueArguments(names) });
  for (const eventType of eventTypes) await channel.bindQueue(queue, names.exchange, eventType);
}

export function consumerQueueArguments(names: RabbitNames): Record<string, string | number> {
  return { ...QUORUM, 'x-delivery-limit': DELIVERY_LIMIT, ...deadLetteringTo('', names.deadLetterQueue) };
}

/**
 * Deletes the exchanges and every queue of a namespace, messages included: for teardown scripts and
 * the one test of deletion. The delay queues are named after their delays, so pass the same
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
    // Deleting a queue that does not exist succeeds, so a half-declared topology cleans up too.
    for (const queue of names.allQueues(consumers, retryDelaysMs)) await channel.deleteQueue(queue);
    await channel.deleteExchange(names.exchange);
    await channel.deleteExchange(names.retryExchange);
  } finally {
    await connection.close().catch(() => undefined);
  }
}
