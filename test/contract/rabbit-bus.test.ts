import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { connect } from 'amqplib';
import { pino, type Logger } from 'pino';
import type { DeadLetterSink, FailedDelivery, Subscription } from '../../src/infra/bus/bus.port.js';
import { PermanentFailure } from '../../src/infra/bus/permanent-failure.js';
import { RabbitBus, type RabbitBusOptions } from '../../src/infra/bus/rabbit-bus.js';
import { RabbitNames } from '../../src/infra/bus/rabbit-topology.js';
import { leaseNamespace, type NamespaceLease } from '../support/namespace-pool.js';
import { declareNamespaceQueues, deleteNamespace, namespaceQueues } from '../support/rabbit-queues.js';
import { requireService, serviceUrls, uniqueSuffix } from '../support/services.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';
import { PostgresDatabase } from '../../src/infra/database/postgres-database.js';
import { TenantDatabaseManager } from '../../src/infra/database/tenant-database-manager.js';
import { createTestDatabase } from '../support/postgres.js';
import { busContract } from './bus.contract.js';
import {
  busTransportContract,
  envelope,
  gate,
  recordingSink,
  subscription,
  TRANSPORT_CONSUMERS,
  type TransportFactory,
} from './bus-transport.contract.js';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const RETRY_DELAYS_MS = [100, 200];
const CONSUMERS = TRANSPORT_CONSUMERS;

/** The namespace pool (test/support/namespace-pool.ts) of this file's tests. */
const NAMESPACE_POOL = 'ordo_test_bus';
const rabbitSkip = await requireService('rabbitmq');
const url = serviceUrls.rabbitmq;

async function queueDepth(names: string[]): Promise<number> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    let total = 0;
    for (const name of names) total += (await channel.checkQueue(name)).messageCount;
    return total;
  } finally {
    await connection.close();
  }
}

const rabbitFactory: TransportFactory = async (options) => {
  const lease = await leaseNamespace(NAMESPACE_POOL, [...CONSUMERS], options.retryDelaysMs);
  const bus = new RabbitBus({ url, namespace: lease.namespace, ...options }, log);
  const names = new RabbitNames(lease.namespace);
  return {
    bus,
    // The delay queues are shared: counting all of them is stricter than counting this consumer's share.
    pending: (consumer) =>
      queueDepth([names.queue(consumer), ...options.retryDelaysMs.map((delay) => names.retryQueue(delay))]),
    dispose: async () => {
      await bus.close();
      await lease.release();
    },
  };
};

busTransportContract('RabbitMQ', () => rabbitSkip, rabbitFactory);

describe('RabbitBus specifics', { skip: rabbitSkip }, () => {
  let lease: NamespaceLease;
  let namespace: string;
  let proxy: TcpProxy;
  let bus: RabbitBus;
  const options = () => ({ url: proxy.proxied(url), namespace, retryDelaysMs: RETRY_DELAYS_MS, prefetch: 4 });

  // Each test gets empty queues, so messages one test leaves behind never reach the next. The bus
  // reaches the broker through a proxy, so a test can cut its connection.
  beforeEach(async () => {
    lease = await leaseNamespace(NAMESPACE_POOL, [...CONSUMERS], RETRY_DELAYS_MS);
    namespace = lease.namespace;
    proxy = await TcpProxy.forUrl(url);
    bus = new RabbitBus(options(), log);
  });
  afterEach(async () => {
    await bus.close();
    await proxy.stop();
    await lease.release();
  });

  /** Resets the bus's connection on both ends, as a network failure would, and lets it reconnect. */
  async function cutConnection(): Promise<void> {
    await proxy.stop();
    await proxy.start();
  }

  it('publish rejects quickly, without hanging, when the broker is unreachable', async () => {
    const down = new RabbitBus({ ...options(), url: 'amqp://guest:guest@127.0.0.1:1' }, log);
    const started = Date.now();
    await assert.rejects(down.publish([envelope()]), /RabbitMQ/);
    assert.ok(Date.now() - started < 6_000, `took ${Date.now() - started} ms`);
    assert.equal(await down.isHealthy(), false);
    const closing = Date.now();
    await down.close();
    assert.ok(Date.now() - closing < 3_000, 'close hung');
  });

  it('dead-letters a body that is not an envelope instead of dropping it', async () => {
    const sink = recordingSink();
    let deliveries = 0;
    await bus.consume([subscription('beta', async () => void (deliveries += 1))], sink);
    const connection = await connect(url);
    const channel = await connection.createConfirmChannel();
    channel.publish(new RabbitNames(namespace).exchange, 'order.placed', Buffer.from('{not json'), {
      messageId: 'garbage',
    });
    await channel.waitForConfirms();
    await connection.close();
    await waitFor(() => sink.stored.length === 1, { what: 'the dead letter' });
    assert.equal(deliveries, 0);
    assert.deepEqual(sink.stored[0]!.envelope.payload, { unreadableBody: '{not json' });
    assert.match(sink.stored[0]!.error, /unparseable/);
    await bus.stopConsuming();
  });

  it('parks a message whose dead-letter store failed and dead-letters it on a later try', async () => {
    const sent = envelope();
    let storeCalls = 0;
    const stored: FailedDelivery[] = [];
    const flakySink: DeadLetterSink = {
      store: async (failure) => {
        storeCalls += 1;
        if (storeCalls === 1) throw new Error('postgres is down');
        stored.push(failure);
      },
    };
    let deliveries = 0;
    await bus.consume(
      [
        subscription('alpha', async () => {
          deliveries += 1;
          throw new PermanentFailure('bad payload');
        }),
      ],
      flakySink,
    );
    await bus.publish([sent]);
    await waitFor(() => stored.length === 1, { what: 'the dead letter once the store works' });
    assert.equal(deliveries, 2, 'delivered again after being parked');
    assert.equal(stored[0]!.envelope.id, sent.id);
    await bus.stopConsuming();
  });

  it('sendTo rejects when the consumer has no queue', async () => {
    await assert.rejects(bus.sendTo('nobody', envelope()), /No queue/);
  });

  it('reconnects, re-declares and resumes consuming after the connection is closed', async () => {
    const seen: string[] = [];
    await bus.consume([subscription('alpha', async (e) => void seen.push(e.id))], recordingSink());
    const first = envelope();
    await bus.publish([first]);
    await waitFor(() => seen.includes(first.id), { what: 'delivery before the outage' });
    await cutConnection();
    const second = envelope();
    // Publishing fails while reconnecting and works again once it is back: what the outbox sweeper does.
    await waitFor(
      async () =>
        bus.publish([second]).then(
          () => true,
          () => false,
        ),
      { what: 'publishing to work again' },
    );
    await waitFor(() => seen.includes(second.id), { what: 'delivery after reconnecting' });
    assert.equal(await bus.isHealthy(), true);
    await bus.stopConsuming();
  });

  it('redelivers, rather than loses, a message whose retry could not be published', async () => {
    const sent = envelope();
    const attempts: number[] = [];
    const confirmed = gate();
    await bus.consume(
      [
        subscription('beta', async (e) => {
          attempts.push(e.attempt);
          // The connection dies while the handler runs, so moving the message to a retry tier fails.
          // Not before the publish below is confirmed: that would fail the publish instead.
          if (attempts.length === 1) {
            await confirmed.opened;
            await cutConnection();
          }
          if (e.attempt === 1) throw new Error('fails on the first attempt');
        }),
      ],
      recordingSink(),
    );
    await bus.publish([sent]);
    confirmed.open();
    await waitFor(() => attempts.includes(2), { what: 'the retry after reconnecting' });
    assert.deepEqual(attempts, [1, 1, 2]);
    await bus.stopConsuming();
  });

  it('deleteRabbitTopology removes the exchange and every queue', async () => {
    // The one test that deletes a topology, so it declares a namespace of its own, never a pooled one.
    const doomed = `ordo_test_deleted_${uniqueSuffix()}`;
    const queues = namespaceQueues(doomed, [...CONSUMERS], RETRY_DELAYS_MS);
    await declareNamespaceQueues(doomed, [...CONSUMERS], RETRY_DELAYS_MS);
    assert.equal(await queueDepth(queues), 0, 'declared');
    await deleteNamespace(doomed, [...CONSUMERS], RETRY_DELAYS_MS);
    const names = new RabbitNames(doomed);
    const connection = await connect(url);
    try {
      for (const queue of queues) {
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        await assert.rejects(channel.checkQueue(queue), /NOT_FOUND/, `${queue} is still there`);
      }
      for (const exchange of [names.exchange, names.retryExchange]) {
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        await assert.rejects(channel.checkExchange(exchange), /NOT_FOUND/);
      }
    } finally {
      await connection.close();
    }
  });
});

/**
 * The contract suite starts a new consumer per test (contract-1, contract-2, …). In a pooled namespace
 * their queues outlive a run, still bound, so contract-5's queue collects the messages of tests 1–4
 * before its own test starts, where a fresh namespace would have had no such queue. So each consumer's
 * queues are declared and emptied right before it starts.
 */
class PooledRabbitBus extends RabbitBus {
  constructor(
    private readonly lease: NamespaceLease,
    options: RabbitBusOptions,
    log: Logger,
  ) {
    super(options, log);
  }

  // Whichever comes first: the lease empties a queue when it first hands it out, never once it holds messages.
  override async declare(subscriptions: Subscription[]): Promise<void> {
    await this.lease.addConsumers(subscriptions.map((each) => each.consumer));
    await super.declare(subscriptions);
  }

  override async consume(subscriptions: Subscription[], deadLetters: DeadLetterSink): Promise<void> {
    await this.lease.addConsumers(subscriptions.map((each) => each.consumer));
    await super.consume(subscriptions, deadLetters);
  }
}

busContract('RabbitMQ (control database on PostgreSQL)', rabbitSkip || (await requireService('postgres')), async () => {
  const database = await createTestDatabase('rbus');
  const control = new PostgresDatabase({ url: database.url, poolSize: 8 });
  const tenants = new TenantDatabaseManager({
    control,
    controlUrl: database.url,
    prefix: `t${database.name.slice(-9)}_`,
    maxOpenPools: 2,
    poolSize: 1,
    idleMs: 60_000,
    log,
    onPoolsChanged: () => undefined,
  });
  let lease: NamespaceLease | undefined;
  return {
    control,
    tenants,
    openBus: async (options) => {
      lease = await leaseNamespace(NAMESPACE_POOL, [], options.retryDelaysMs);
      return new PooledRabbitBus(lease, { url, namespace: lease.namespace, ...options }, log);
    },
    cleanup: async () => {
      await lease?.release();
      await tenants.close();
      await control.close();
      await database.drop();
    },
  };
});
