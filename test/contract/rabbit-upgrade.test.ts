import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connect, type Channel } from 'amqplib';
import { RabbitBus } from '../../src/infra/bus/rabbit-bus.js';
import { RabbitNames } from '../../src/infra/bus/rabbit-topology.js';
import { upgradeRabbitTopology } from '../../src/infra/bus/rabbit-upgrade.js';
import { testLogger } from '../support/logger.js';
import { deleteNamespace } from '../support/rabbit-queues.js';
import { requireService, serviceUrls, uniqueSuffix } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';
import { envelope, recordingSink, subscription } from './bus-transport.contract.js';

const log = testLogger();
const url = serviceUrls.rabbitmq;
const RETRY_DELAYS_MS = [100, 200];
/** The older version's tiers: long, so a message parked there is still there when the upgrade runs. */
const LEGACY_DELAYS_MS = [60_000];

/** The topology an older Ordo declared for one consumer: a delay queue per tier and a `.dlq` of its own. */
async function declareLegacyConsumer(channel: Channel, names: RabbitNames, consumer: string): Promise<void> {
  const queue = names.queue(consumer);
  await channel.assertExchange(names.exchange, 'topic', { durable: true });
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(queue, names.exchange, 'order.placed');
  for (const delayMs of LEGACY_DELAYS_MS) {
    await channel.assertQueue(`${queue}.retry.${delayMs}`, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-message-ttl': delayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queue,
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    });
  }
  await channel.assertQueue(`${queue}.dlq`, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
}

describe('upgrading a namespace from the per-consumer topology', { skip: await requireService('rabbitmq') }, () => {
  // An older Ordo's queues cannot live in a pooled namespace (other arguments), so this test makes a
  // namespace of its own and is one of the two that delete one (counted in the run's report).
  const namespace = `ordo_test_upgrade_${uniqueSuffix()}`;
  const names = new RabbitNames(namespace);
  after(() => deleteNamespace(namespace, ['alpha'], RETRY_DELAYS_MS));

  it('carries every waiting message, retry and dead letter over to the new queues, and drops the old ones', async () => {
    const waiting = envelope();
    const retrying = envelope({ attempt: 2 });
    const dead = envelope();
    const connection = await connect(url);
    try {
      const channel = await connection.createConfirmChannel();
      await declareLegacyConsumer(channel, names, 'alpha');
      const send = (queue: string, sent: typeof waiting, headers: Record<string, string> = {}) =>
        channel.sendToQueue(queue, Buffer.from(JSON.stringify(sent)), {
          persistent: true,
          messageId: sent.id,
          headers,
        });
      send(names.queue('alpha'), waiting);
      send(`${names.queue('alpha')}.retry.${LEGACY_DELAYS_MS[0]}`, retrying);
      send(`${names.queue('alpha')}.dlq`, dead, { 'x-ordo-consumer': 'alpha', 'x-ordo-error': 'Error: poison' });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }

    // The current version refuses the older queue with a message that says what to do.
    const early = new RabbitBus(
      { url, namespace, retryDelaysMs: RETRY_DELAYS_MS, prefetch: 4, connectTimeoutMs: 3_000 },
      log,
    );
    await early.declare([subscription('alpha', async () => undefined)]);
    assert.equal(await early.isHealthy(), false, 'a refused topology is not healthy');
    await early.close();

    const options = {
      url,
      namespace,
      retryDelaysMs: RETRY_DELAYS_MS,
      legacyRetryDelaysMs: LEGACY_DELAYS_MS,
      subscriptions: [{ consumer: 'alpha', eventTypes: ['order.placed'] }],
      log,
    };
    const report = await upgradeRabbitTopology(options);
    assert.deepEqual(report, { upgraded: [{ consumer: 'alpha', messages: 2, deadLetters: 1 }], current: [] });
    assert.deepEqual(
      await upgradeRabbitTopology(options),
      { upgraded: [], current: ['alpha'] },
      'a second run is a no-op',
    );

    const gone = [
      `${names.queue('alpha')}.dlq`,
      `${names.queue('alpha')}.upgrading`,
      ...LEGACY_DELAYS_MS.map((delayMs) => `${names.queue('alpha')}.retry.${delayMs}`),
    ];
    for (const queue of gone) assert.equal(await queueExists(queue), false, `${queue} is gone`);

    const bus = new RabbitBus({ url, namespace, retryDelaysMs: RETRY_DELAYS_MS, prefetch: 4 }, log);
    try {
      const seen: string[] = [];
      const sink = recordingSink();
      await bus.consume([subscription('alpha', async (e) => void seen.push(e.id))], sink);
      await waitFor(() => seen.length === 2 && sink.stored.length === 1, { what: 'every carried-over message' });
      assert.deepEqual(seen.sort(), [waiting.id, retrying.id].sort());
      assert.equal(sink.stored[0]!.consumer, 'alpha');
      assert.equal(sink.stored[0]!.envelope.id, dead.id);
      assert.equal(sink.stored[0]!.error, 'Error: poison');
      // Still routed: a new event reaches the rebuilt queue.
      const fresh = envelope();
      await bus.publish([fresh]);
      await waitFor(() => seen.includes(fresh.id), { what: 'a new event after the upgrade' });
    } finally {
      await bus.close();
    }
  });
});

async function queueExists(queue: string): Promise<boolean> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return await channel.checkQueue(queue).then(
      () => true,
      () => false,
    );
  } finally {
    await connection.close().catch(() => undefined);
  }
}
