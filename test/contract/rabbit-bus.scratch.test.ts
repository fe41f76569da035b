import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { pino } from 'pino';
import type {
  BusOptions,
  BusPort,
  DeadLetterSink,
  FailedDelivery,
  Subscription,
} from '../../src/infra/bus/bus.port.js';
import type { Envelope } from '../../src/infra/bus/envelope.js';
import { PermanentFailure } from '../../src/infra/bus/permanent-failure.js';
import { deleteRabbitTopology, RabbitBus } from '../../src/infra/bus/rabbit-bus.js';
import { RabbitNames } from '../../src/infra/bus/rabbit-topology.js';
import { requireService, serviceUrls, uniqueSuffix } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const RETRY_DELAYS_MS = [100, 200];
/** Every test uses only these consumer names, so a harness knows what to clean up. */
const CONSUMERS = ['alpha', 'beta'] as const;

/** What a bus contract test needs from an adapter, beyond the port itself. */
interface BusHarness {
  bus: BusPort;
  /** Messages waiting for a consumer (ready or in a retry tier), not counting ones being handled. */
  pending(consumer: string): Promise<number>;
  dispose(): Promise<void>;
}

type BusFactory = (options: BusOptions) => Promise<BusHarness>;

function envelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    id: randomUUID(),
    type: 'order.placed',
    tenant: 'acme',
    aggregateId: randomUUID(),
    occurredAt: new Date().toISOString(),
    attempt: 1,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    payload: { total: 1250 },
    ...overrides,
  };
}

function recordingSink(): DeadLetterSink & { stored: FailedDelivery[] } {
  const stored: FailedDelivery[] = [];
  return { stored, store: async (failure) => void stored.push(failure) };
}

function subscription(consumer: string, deliver: Subscription['deliver'], eventTypes = ['order.placed']): Subscription {
  return { consumer, eventTypes, deliver };
}

/** A promise the test opens by hand, to hold a handler in flight. */
function gate(): { opened: Promise<void>; open(): void } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** The behaviour every BusPort adapter must share; the lead folds this into the shared contract suite. */
function busContract(name: string, skip: () => false | string, factory: BusFactory): void {
  describe(`${name} bus contract`, { skip: skip() }, () => {
    let harness: BusHarness;
    const open = async (overrides: Partial<BusOptions> = {}) => {
      harness = await factory({
        namespace: `t${uniqueSuffix()}`,
        retryDelaysMs: RETRY_DELAYS_MS,
        prefetch: 4,
        ...overrides,
      });
      return harness.bus;
    };
    const dispose = async () => harness?.dispose();

    it('delivers a published event to every consumer bound to its type', async (t) => {
      t.after(dispose);
      const bus = await open();
      const seen: Record<string, Envelope[]> = { alpha: [], beta: [] };
      await bus.consume(
        CONSUMERS.map((consumer) => subscription(consumer, async (e) => void seen[consumer]!.push(e))),
        recordingSink(),
      );
      const sent = envelope();
      await bus.publish([sent]);
      await waitFor(() => seen.alpha!.length === 1 && seen.beta!.length === 1, {
        what: 'both consumers to receive it',
      });
      assert.deepEqual(seen.alpha, [sent]);
      assert.deepEqual(seen.beta, [sent]);
    });

    it('retries a failed delivery after each tier delay with a growing attempt', async (t) => {
      t.after(dispose);
      const bus = await open();
      const attempts: { attempt: number; at: number }[] = [];
      await bus.consume(
        [
          subscription('alpha', async (e) => {
            attempts.push({ attempt: e.attempt, at: Date.now() });
            if (e.attempt < 3) throw new Error('database is down');
          }),
        ],
        recordingSink(),
      );
      await bus.publish([envelope()]);
      await waitFor(() => attempts.length === 3, { what: 'three attempts' });
      assert.deepEqual(
        attempts.map((a) => a.attempt),
        [1, 2, 3],
      );
      // A little slack for timer granularity; a retry must never come noticeably early.
      assert.ok(attempts[1]!.at - attempts[0]!.at >= RETRY_DELAYS_MS[0]! - 20, 'second attempt waited the first delay');
      assert.ok(attempts[2]!.at - attempts[1]!.at >= RETRY_DELAYS_MS[1]! - 20, 'third attempt waited the second delay');
      await bus.stopConsuming();
      assert.equal(await harness.pending('alpha'), 0);
    });

    it('dead-letters after the last tier and removes the message from the queue', async (t) => {
      t.after(dispose);
      const bus = await open();
      const sink = recordingSink();
      let deliveries = 0;
      await bus.consume(
        [
          subscription('alpha', async () => {
            deliveries += 1;
            throw new Error('still broken');
          }),
        ],
        sink,
      );
      const sent = envelope();
      await bus.publish([sent]);
      await waitFor(() => sink.stored.length === 1, { what: 'the dead letter' });
      await bus.stopConsuming();
      assert.equal(deliveries, RETRY_DELAYS_MS.length + 1);
      assert.deepEqual(sink.stored, [
        { consumer: 'alpha', envelope: { ...sent, attempt: RETRY_DELAYS_MS.length + 1 }, error: 'Error: still broken' },
      ]);
      assert.equal(await harness.pending('alpha'), 0);
    });

    it('dead-letters a permanent failure at once, without retrying', async (t) => {
      t.after(dispose);
      const bus = await open();
      const sink = recordingSink();
      let deliveries = 0;
      await bus.consume(
        [
          subscription('alpha', async () => {
            deliveries += 1;
            throw new PermanentFailure('unknown tenant');
          }),
        ],
        sink,
      );
      await bus.publish([envelope()]);
      await waitFor(() => sink.stored.length === 1, { what: 'the dead letter' });
      await bus.stopConsuming();
      assert.equal(deliveries, 1);
      assert.equal(sink.stored[0]!.envelope.attempt, 1);
      assert.equal(sink.stored[0]!.error, 'PermanentFailure: unknown tenant');
      assert.equal(await harness.pending('alpha'), 0);
    });

    it('sendTo reaches only the named consumer', async (t) => {
      t.after(dispose);
      const bus = await open();
      const seen: Record<string, string[]> = { alpha: [], beta: [] };
      await bus.consume(
        CONSUMERS.map((consumer) => subscription(consumer, async (e) => void seen[consumer]!.push(e.id))),
        recordingSink(),
      );
      const replayed = envelope();
      await bus.sendTo('beta', replayed);
      await waitFor(() => seen.beta!.includes(replayed.id), { what: 'beta to receive the replay' });
      // A marker sent to alpha afterwards: once it arrives, anything sent to alpha earlier has too.
      const marker = envelope();
      await bus.sendTo('alpha', marker);
      await waitFor(() => seen.alpha!.includes(marker.id), { what: 'alpha to receive the marker' });
      assert.deepEqual(seen.alpha, [marker.id]);
      assert.deepEqual(seen.beta, [replayed.id]);
    });

    it('works on no more messages at once than the prefetch', async (t) => {
      t.after(dispose);
      const bus = await open({ prefetch: 2 });
      let running = 0;
      let most = 0;
      let done = 0;
      await bus.consume(
        [
          subscription('alpha', async () => {
            running += 1;
            most = Math.max(most, running);
            await new Promise((resolve) => setTimeout(resolve, 30));
            running -= 1;
            done += 1;
          }),
        ],
        recordingSink(),
      );
      await bus.publish(Array.from({ length: 8 }, () => envelope()));
      await waitFor(() => done === 8, { what: 'all eight messages' });
      assert.equal(most, 2);
    });

    it('stopConsuming waits for the handler in flight and takes no new messages', async (t) => {
      t.after(dispose);
      const bus = await open();
      const held = gate();
      const order: string[] = [];
      let started = 0;
      await bus.consume(
        [
          subscription('alpha', async () => {
            started += 1;
            await held.opened;
            order.push('handled');
          }),
        ],
        recordingSink(),
      );
      await bus.publish([envelope()]);
      await waitFor(() => started === 1, { what: 'the handler to start' });
      const stopping = bus.stopConsuming().then(() => order.push('stopped'));
      for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(order, [], 'stopConsuming resolved while a handler was running');
      held.open();
      await stopping;
      assert.deepEqual(order, ['handled', 'stopped']);
      assert.equal(await harness.pending('alpha'), 0, 'the handled message was acked');
      await bus.publish([envelope()]);
      await waitFor(async () => (await harness.pending('alpha')) === 1, {
        what: 'the new message to wait in the queue',
      });
      assert.equal(started, 1);
    });
  });
}

// ---------------------------------------------------------------------------------------------------

const exec = promisify(execFile);
const rabbitSkip = await requireService('rabbitmq');
const rabbitmqctlSkipped = await rabbitmqctlSkip();
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

const rabbitFactory: BusFactory = async (options) => {
  const bus = new RabbitBus({ url, ...options }, log);
  const names = new RabbitNames(options.namespace);
  return {
    bus,
    pending: (consumer) =>
      queueDepth([names.queue(consumer), ...options.retryDelaysMs.map((delay) => names.retryQueue(consumer, delay))]),
    dispose: async () => {
      await bus.close();
      await deleteRabbitTopology(url, options.namespace, [...CONSUMERS], options.retryDelaysMs);
    },
  };
};

busContract('RabbitMQ', () => rabbitSkip, rabbitFactory);

describe('RabbitBus specifics', { skip: rabbitSkip }, () => {
  let namespace: string;
  let bus: RabbitBus;
  const options = () => ({ url, namespace, retryDelaysMs: RETRY_DELAYS_MS, prefetch: 4 });

  // A namespace per test: messages one test leaves in a queue never reach the next.
  beforeEach(() => {
    namespace = `t${uniqueSuffix()}`;
    bus = new RabbitBus(options(), log);
  });
  afterEach(async () => {
    await bus.close();
    await deleteRabbitTopology(url, namespace, [...CONSUMERS], RETRY_DELAYS_MS);
  });

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

  it('copies a dead letter to the .dlq queue with its error, after storing it', async () => {
    const sink = recordingSink();
    await bus.consume([subscription('alpha', async () => Promise.reject(new PermanentFailure('bad payload')))], sink);
    const sent = envelope();
    await bus.publish([sent]);
    await waitFor(() => sink.stored.length === 1, { what: 'the dead letter' });
    const names = new RabbitNames(namespace);
    const copy = await waitFor(
      async () => {
        const connection = await connect(url);
        try {
          return (
            (await (await connection.createChannel()).get(names.deadLetterQueue('alpha'), { noAck: true })) || undefined
          );
        } finally {
          await connection.close();
        }
      },
      { what: 'the .dlq copy' },
    );
    assert.equal(copy.properties.messageId, sent.id);
    assert.equal(copy.properties.headers?.['x-ordo-error'], 'PermanentFailure: bad payload');
    assert.deepEqual(JSON.parse(copy.content.toString()), sent);
    await bus.stopConsuming();
  });

  it('dead-letters a body that is not an envelope instead of dropping it', async () => {
    const sink = recordingSink();
    let deliveries = 0;
    await bus.consume([subscription('beta', async () => void (deliveries += 1))], sink);
    const connection = await connect(url);
    const channel = await connection.createConfirmChannel();
    channel.publish(`${namespace}.events`, 'order.placed', Buffer.from('{not json'), { messageId: 'garbage' });
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

  it(
    'reconnects, re-declares and resumes consuming after the connection is closed',
    { skip: rabbitmqctlSkipped },
    async () => {
      const seen: string[] = [];
      await bus.consume([subscription('alpha', async (e) => void seen.push(e.id))], recordingSink());
      const first = envelope();
      await bus.publish([first]);
      await waitFor(() => seen.includes(first.id), { what: 'delivery before the outage' });
      await closeConnectionsNamed(namespace);
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
    },
  );

  it(
    'redelivers, rather than loses, a message whose retry could not be published',
    { skip: rabbitmqctlSkipped },
    async () => {
      const sent = envelope();
      const attempts: number[] = [];
      await bus.consume(
        [
          subscription('beta', async (e) => {
            attempts.push(e.attempt);
            // The connection dies while the handler runs, so moving the message to a retry tier fails.
            if (attempts.length === 1) await closeConnectionsNamed(namespace);
            if (e.attempt === 1) throw new Error('fails on the first attempt');
          }),
        ],
        recordingSink(),
      );
      await bus.publish([sent]);
      await waitFor(() => attempts.includes(2), { what: 'the retry after reconnecting' });
      assert.deepEqual(attempts, [1, 1, 2]);
      await bus.stopConsuming();
    },
  );

  it('deleteRabbitTopology removes the exchange and every queue', async () => {
    await bus.declare(CONSUMERS.map((consumer) => subscription(consumer, async () => undefined)));
    await bus.close();
    const names = new RabbitNames(namespace);
    assert.equal(await queueDepth(CONSUMERS.map((consumer) => names.deadLetterQueue(consumer))), 0, 'declared');
    await deleteRabbitTopology(url, namespace, [...CONSUMERS], RETRY_DELAYS_MS);
    const queues = CONSUMERS.flatMap((c) => [
      names.queue(c),
      names.deadLetterQueue(c),
      ...RETRY_DELAYS_MS.map((d) => names.retryQueue(c, d)),
    ]);
    const connection = await connect(url);
    try {
      for (const queue of queues) {
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        await assert.rejects(channel.checkQueue(queue), /NOT_FOUND/, `${queue} is still there`);
      }
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      await assert.rejects(channel.checkExchange(names.exchange), /NOT_FOUND/);
    } finally {
      await connection.close();
    }
  });
});

async function rabbitmqctlSkip(): Promise<false | string> {
  if (rabbitSkip) return rabbitSkip;
  try {
    await exec('rabbitmqctl', ['-q', 'status'], { timeout: 20_000 });
    return false;
  } catch {
    return 'rabbitmqctl is not available to force a disconnect';
  }
}

/** Closes, broker side, the connections whose client named them after this namespace. */
async function closeConnectionsNamed(namespace: string): Promise<void> {
  const { stdout } = await exec('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties'], {
    timeout: 20_000,
  });
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`"${namespace}@`))
    .map((line) => line.split('\t')[0]!);
  assert.ok(pids.length > 0, 'found no connection to close');
  for (const pid of pids) await exec('rabbitmqctl', ['close_connection', pid, 'test outage'], { timeout: 20_000 });
}
