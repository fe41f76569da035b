import { connect, type Channel, type ChannelModel } from 'amqplib';
import { deleteRabbitTopology, RabbitBus } from '../../src/infra/bus/rabbit-bus.js';
import { RabbitNames } from '../../src/infra/bus/rabbit-topology.js';
import { testLogger } from './logger.js';
import { serviceUrls } from './services.js';
import { recordTestStats } from './test-stats.js';

/**
 * Every queue the RabbitMQ bus declares in `namespace` for these consumers and retry tiers (the shared
 * delay queues, one per consumer, the dead-letter queue): the one place test code knows the topology's
 * queue names. Delay queues come first: purging in this order also catches a message that leaves a
 * delay queue for its consumer's queue meanwhile.
 */
export function namespaceQueues(namespace: string, consumers: string[], retryDelaysMs: number[]): string[] {
  const names = new RabbitNames(namespace);
  return [
    ...[...new Set(retryDelaysMs)].map((delayMs) => names.retryQueue(delayMs)),
    ...consumers.map((consumer) => names.queue(consumer)),
    names.deadLetterQueue,
  ];
}

/**
 * Declares the namespace's queues for these consumers the way the bus does (through the bus itself,
 * so the arguments always match the app's), and records how many did not exist before.
 */
export async function declareNamespaceQueues(
  namespace: string,
  consumers: string[],
  retryDelaysMs: number[],
): Promise<void> {
  const missing = await withConnection(async (connection) => {
    let count = 0;
    for (const queue of namespaceQueues(namespace, consumers, retryDelaysMs)) {
      if (!(await exists(connection, queue))) count += 1;
    }
    return count;
  });
  const bus = new RabbitBus({ url: serviceUrls.rabbitmq, namespace, retryDelaysMs, prefetch: 1 }, testLogger());
  try {
    await bus.declare(consumers.map((consumer) => ({ consumer, eventTypes: [], deliver: () => Promise.resolve() })));
  } finally {
    await bus.close();
  }
  recordTestStats({ namespace, declared: missing });
}

/** Empties the namespace's queues for these consumers; every one of them must exist. */
export async function purgeNamespaceQueues(
  namespace: string,
  consumers: string[],
  retryDelaysMs: number[],
): Promise<void> {
  await withConnection(async (connection) => {
    const channel = await quietChannel(connection);
    for (const queue of namespaceQueues(namespace, consumers, retryDelaysMs)) {
      await channel.purgeQueue(queue).catch((error: unknown) => {
        throw new Error(`Cannot purge ${queue} (does namespaceQueues() match the bus's topology?): ${String(error)}`);
      });
    }
  });
}

/**
 * Deletes the namespace's exchange and queues, recording how many queues existed. Only for the test
 * of `deleteRabbitTopology` itself: every other test reuses pooled namespaces (test/support/namespace-pool.ts).
 */
export async function deleteNamespace(namespace: string, consumers: string[], retryDelaysMs: number[]): Promise<void> {
  const existing = await withConnection(async (connection) => {
    let count = 0;
    for (const queue of namespaceQueues(namespace, consumers, retryDelaysMs)) {
      if (await exists(connection, queue)) count += 1;
    }
    return count;
  });
  await deleteRabbitTopology(serviceUrls.rabbitmq, namespace, consumers, retryDelaysMs);
  recordTestStats({ namespace, deleted: existing });
}

/** Whether the queue exists, by a passive declare on a throwaway channel (a NOT_FOUND closes the channel). */
async function exists(connection: ChannelModel, queue: string): Promise<boolean> {
  const channel = await quietChannel(connection);
  try {
    await channel.checkQueue(queue);
    await channel.close();
    return true;
  } catch (error) {
    if (/NOT_FOUND/.test(String(error))) return false;
    throw error;
  }
}

async function withConnection<T>(work: (connection: ChannelModel) => Promise<T>): Promise<T> {
  const connection = await connect(serviceUrls.rabbitmq, { timeout: 5_000 });
  try {
    return await work(connection);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** A channel whose broker-side close (NOT_FOUND and the like) rejects the pending call instead of crashing. */
async function quietChannel(connection: ChannelModel): Promise<Channel> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  return channel;
}
