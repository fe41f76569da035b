import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { connect } from 'amqplib';
import { RabbitBus } from '../../src/infra/bus/rabbit-bus.js';
import { DELIVERY_LIMIT, RabbitNames } from '../../src/infra/bus/rabbit-topology.js';
import { testLogger } from '../support/logger.js';
import { leaseNamespace, type NamespaceLease } from '../support/namespace-pool.js';
import { requireService, serviceUrls } from '../support/services.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';
import { envelope, recordingSink, subscription, TRANSPORT_CONSUMERS } from './bus-transport.contract.js';

const log = testLogger();
const url = serviceUrls.rabbitmq;
const RETRY_DELAYS_MS = [100, 200];
const CONSUMERS = TRANSPORT_CONSUMERS;
/** The bus tests' namespace pool (test/support/namespace-pool.ts): reused, purged, never deleted. */
const NAMESPACE_POOL = 'ordo_test_bus';

/** Whether each queue exists (a passive declare of a missing queue closes its channel). */
async function queuesExist(names: string[]): Promise<boolean[]> {
  const connection = await connect(url);
  try {
    const found: boolean[] = [];
    for (const name of names) {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      found.push(
        await channel.checkQueue(name).then(
          () => true,
          () => false,
        ),
      );
      await channel.close().catch(() => undefined);
    }
    return found;
  } finally {
    await connection.close();
  }
}

describe('RabbitMQ topology', { skip: await requireService('rabbitmq') }, () => {
  let lease: NamespaceLease;
  let names: RabbitNames;
  let bus: RabbitBus;

  beforeEach(async () => {
    lease = await leaseNamespace(NAMESPACE_POOL, [...CONSUMERS], RETRY_DELAYS_MS);
    names = new RabbitNames(lease.namespace);
    bus = new RabbitBus({ url, namespace: lease.namespace, retryDelaysMs: RETRY_DELAYS_MS, prefetch: 4 }, log);
  });
  afterEach(async () => {
    await bus.close();
    await lease.release();
  });

  it('declares one queue per consumer, one per retry tier and one for dead letters: nothing per consumer and tier', async () => {
    await bus.declare(CONSUMERS.map((consumer) => subscription(consumer, async () => undefined)));
    const expected = [
      ...CONSUMERS.map((consumer) => names.queue(consumer)),
      ...RETRY_DELAYS_MS.map((delayMs) => names.retryQueue(delayMs)),
      names.deadLetterQueue,
    ];
    assert.equal(expected.length, CONSUMERS.length + RETRY_DELAYS_MS.length + 1);
    assert.deepEqual(
      await queuesExist(expected),
      expected.map(() => true),
    );
    const perConsumer = CONSUMERS.flatMap((consumer) => [
      `${names.queue(consumer)}.dlq`,
      ...RETRY_DELAYS_MS.map((delayMs) => `${names.queue(consumer)}.retry.${delayMs}`),
    ]);
    assert.deepEqual(
      await queuesExist(perConsumer),
      perConsumer.map(() => false),
    );
  });

  it('returns a retried message only to the consumer that failed it', async () => {
    const seen: Record<string, number[]> = { alpha: [], beta: [] };
    await bus.consume(
      [
        subscription('alpha', async (e) => {
          seen.alpha!.push(e.attempt);
          if (e.attempt === 1) throw new Error('alpha fails once');
        }),
        subscription('beta', async (e) => void seen.beta!.push(e.attempt)),
      ],
      recordingSink(),
    );
    await bus.publish([envelope()]);
    await waitFor(() => seen.alpha!.length === 2, { what: "alpha's retry" });
    // A marker after the retry: once beta has it, a stray copy of the retry would have arrived too.
    const marker = envelope();
    await bus.sendTo('beta', marker);
    await waitFor(() => seen.beta!.length === 2, { what: 'the marker' });
    assert.deepEqual(seen, { alpha: [1, 2], beta: [1, 1] });
  });

  it('keeps a message the broker dead-letters past the delivery limit, in the dead-letter store', async () => {
    const sink = recordingSink();
    // Consuming (any consumer) runs the intake of the namespace's dead-letter queue.
    await bus.consume([subscription('beta', async () => undefined)], sink);
    await bus.declare([subscription('alpha', async () => undefined)]);
    const bounced = envelope();
    const connection = await connect(url);
    try {
      const channel = await connection.createConfirmChannel();
      channel.sendToQueue(names.queue('alpha'), Buffer.from(JSON.stringify(bounced)), {
        persistent: true,
        messageId: bounced.id,
      });
      await channel.waitForConfirms();
      // A consumer that keeps handing the message back, as a worker crashing on it over and over would.
      let deliveries = 0;
      await channel.consume(names.queue('alpha'), (message) => {
        if (!message) return;
        deliveries += 1;
        channel.nack(message, false, true);
      });
      await waitFor(() => sink.stored.length === 1, { what: 'the dead letter in the store' });
      assert.ok(deliveries >= DELIVERY_LIMIT, `delivered ${deliveries} times`);
    } finally {
      await connection.close();
    }
    const [letter] = sink.stored;
    assert.equal(letter!.consumer, 'alpha');
    assert.deepEqual(letter!.envelope, bounced);
    assert.match(letter!.error, /DeadLetteredByBroker: delivered 20 times without being settled/);
    await waitFor(async () => (await queueDepth(names.deadLetterQueue)) === 0, {
      what: 'the intake to ack it',
    });
  });
});

async function queueDepth(queue: string): Promise<number> {
  const connection = await connect(url);
  try {
    return (await (await connection.createChannel()).checkQueue(queue)).messageCount;
  } finally {
    await connection.close();
  }
}

describe('RabbitMQ bus without a broker', { skip: await requireService('rabbitmq') }, () => {
  let lease: NamespaceLease;
  let namespace: string;
  before(async () => {
    lease = await leaseNamespace(NAMESPACE_POOL, [...CONSUMERS], RETRY_DELAYS_MS);
    namespace = lease.namespace;
  });
  after(() => lease?.release());

  it('declares and consumes without waiting for a broker that is down, and catches up once it is back', async () => {
    const proxy = await TcpProxy.forUrl(url);
    await proxy.stop();
    const bus = new RabbitBus({ url: proxy.proxied(url), namespace, retryDelaysMs: RETRY_DELAYS_MS, prefetch: 4 }, log);
    try {
      const seen: string[] = [];
      const started = Date.now();
      await bus.declare(CONSUMERS.map((consumer) => subscription(consumer, async () => undefined)));
      await bus.consume([subscription('alpha', async (e) => void seen.push(e.id))], recordingSink());
      assert.ok(Date.now() - started < 5_000, `start waited ${Date.now() - started} ms for the broker`);
      assert.equal(await bus.isHealthy(), false);
      await assert.rejects(bus.publish([envelope()]), /RabbitMQ/);

      await proxy.start();
      await waitFor(() => bus.isHealthy(), { timeoutMs: 20_000, what: 'the bus to connect' });
      const sent = envelope();
      await bus.publish([sent]);
      await waitFor(() => seen.includes(sent.id), { what: 'delivery once the broker is back' });
    } finally {
      await bus.close();
      await proxy.stop();
    }
  });

  it('reports a broker that accepts TCP but never answers AMQP as down', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const bus = new RabbitBus(
      { url: `amqp://guest:guest@127.0.0.1:${port}`, namespace, retryDelaysMs: RETRY_DELAYS_MS, prefetch: 4 },
      log,
    );
    try {
      assert.equal(await bus.isHealthy(), false);
      await waitFor(() => sockets.size > 0, { what: 'the bus to open a TCP connection' });
      assert.equal(await bus.isHealthy(), false, 'TCP alone is not healthy');
    } finally {
      await bus.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
