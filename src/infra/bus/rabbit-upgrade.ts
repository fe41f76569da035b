import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import type { Subscription } from './bus.port.js';
import { consumerQueueArguments, declareConsumer, declareNamespace, RabbitNames } from './rabbit-topology.js';

export interface RabbitUpgradeOptions {
  url: string;
  namespace: string;
  /** The tiers of the new topology (BUS_RETRY_DELAYS_MS). */
  retryDelaysMs: readonly number[];
  /** The tiers the older Ordo ran with, whose per-consumer delay queues are drained (default: the same). */
  legacyRetryDelaysMs?: readonly number[];
  subscriptions: Pick<Subscription, 'consumer' | 'eventTypes'>[];
  log: Logger;
}

export interface RabbitUpgradeReport {
  /** Consumers whose queues were rebuilt, with how many messages each carried over. */
  upgraded: { consumer: string; messages: number; deadLetters: number }[];
  /** Consumers already on the current topology. */
  current: string[];
}

/** The names an older Ordo (one delay queue and one `.dlq` per consumer) used. */
const legacy = {
  retryQueue: (names: RabbitNames, consumer: string, delayMs: number) => `${names.queue(consumer)}.retry.${delayMs}`,
  deadLetterQueue: (names: RabbitNames, consumer: string) => `${names.queue(consumer)}.dlq`,
};

/**
 * Moves a namespace from the older topology (a delay queue and a `.dlq` per consumer, main queues
 * without a dead-letter target) to the current one, losing no message. Run it with every process of
 * the older version stopped: an older process would redeclare its queues. For each consumer whose
 * queue RabbitMQ refuses to redeclare with the current arguments:
 *
 * 1. a holding queue bound like the consumer's queue takes new events while the queue is rebuilt;
 * 2. the consumer's delay queues, then its queue (unbound first), are moved into it and deleted (a
 *    pending retry comes back early: retrying sooner is harmless, the inbox keeps effects once);
 * 3. the queue is declared with the current arguments, the holding queue moved into it and deleted;
 * 4. its `.dlq` copies go to the namespace's dead-letter queue, whose intake records them in the
 *    dead-letter store (the same rows the older version wrote: they are updated, not doubled).
 *
 * Safe to run twice: a consumer already on the current topology is left alone.
 */
export async function upgradeRabbitTopology(options: RabbitUpgradeOptions): Promise<RabbitUpgradeReport> {
  const names = new RabbitNames(options.namespace);
  const connection = await connect(options.url, { timeout: 5_000 });
  const report: RabbitUpgradeReport = { upgraded: [], current: [] };
  try {
    const channel = await connection.createConfirmChannel();
    await declareNamespace(channel, names, options.retryDelaysMs);
    for (const subscription of options.subscriptions) {
      if (!(await isLegacy(connection, names, subscription.consumer))) {
        report.current.push(subscription.consumer);
        continue;
      }
      const moved = await rebuild(connection, channel, names, subscription, options);
      report.upgraded.push({ consumer: subscription.consumer, ...moved });
      options.log.info({ consumer: subscription.consumer, ...moved }, 'rabbit topology: consumer upgraded');
    }
    return report;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Does the consumer's queue exist with arguments other than the current ones? */
async function isLegacy(connection: ChannelModel, names: RabbitNames, consumer: string): Promise<boolean> {
  const probe = await connection.createChannel();
  probe.on('error', () => undefined);
  try {
    await probe.checkQueue(names.queue(consumer));
  } catch {
    return false; // no queue yet: the current version declares it
  }
  try {
    await probe.assertQueue(names.queue(consumer), { durable: true, arguments: consumerQueueArguments(names) });
    return false;
  } catch (error) {
    if (/PRECONDITION_FAILED/.test(String(error))) return true;
    throw error;
  } finally {
    await probe.close().catch(() => undefined);
  }
}

async function rebuild(
  connection: ChannelModel,
  channel: ConfirmChannel,
  names: RabbitNames,
  subscription: Pick<Subscription, 'consumer' | 'eventTypes'>,
  options: RabbitUpgradeOptions,
): Promise<{ messages: number; deadLetters: number }> {
  const { consumer, eventTypes } = subscription;
  const queue = names.queue(consumer);
  const { consumerCount } = await channel.checkQueue(queue);
  if (consumerCount > 0) {
    throw new Error(`${queue} still has ${consumerCount} consumer(s): stop every older Ordo process first`);
  }
  const holding = `${queue}.upgrading`;
  await channel.assertQueue(holding, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  for (const eventType of eventTypes) await channel.bindQueue(holding, names.exchange, eventType);

  const legacyTiers = [...new Set(options.legacyRetryDelaysMs ?? options.retryDelaysMs)].map((delayMs) =>
    legacy.retryQueue(names, consumer, delayMs),
  );
  let messages = 0;
  for (const tier of await existing(connection, legacyTiers)) messages += await drainAndDelete(channel, tier, holding);
  messages += await drainAndDelete(channel, queue, holding);

  await declareConsumer(channel, names, subscription);
  for (const eventType of eventTypes) await channel.unbindQueue(holding, names.exchange, eventType);
  await drainAndDelete(channel, holding, queue);

  let deadLetters = 0;
  const dlq = legacy.deadLetterQueue(names, consumer);
  if ((await existing(connection, [dlq])).length > 0) {
    deadLetters = await drainAndDelete(channel, dlq, names.deadLetterQueue);
  }
  return { messages, deadLetters };
}

/** Which of these queues exist (a passive declare of a missing one closes its channel). */
async function existing(connection: ChannelModel, queues: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const queue of queues) {
    const probe = await connection.createChannel();
    probe.on('error', () => undefined);
    if (
      await probe.checkQueue(queue).then(
        () => true,
        () => false,
      )
    )
      found.push(queue);
    await probe.close().catch(() => undefined);
  }
  return found;
}

/**
 * Moves every message of `from` to `to` (each confirmed before it is acked, so a crash duplicates at
 * worst), then deletes `from`. Callers first cut what feeds `from` (unbind it, stop its producers):
 * quorum queues cannot be deleted "if empty", so a message arriving between the last move and the
 * delete would be lost.
 */
async function drainAndDelete(channel: ConfirmChannel, from: string, to: string): Promise<number> {
  let moved = 0;
  for (;;) {
    const message = await channel.get(from, { noAck: false });
    if (message === false) break;
    channel.sendToQueue(to, message.content, message.properties);
    await channel.waitForConfirms();
    channel.ack(message);
    moved += 1;
  }
  await channel.deleteQueue(from);
  return moved;
}
