import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { connect, type Channel, type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import type { BusOptions, BusPort, DeadLetterSink, Subscription } from './bus.port.js';
import type { Envelope } from './envelope.js';
import { describeError } from './permanent-failure.js';
import { RabbitConsumer } from './rabbit-consumer.js';
import { envelopeMessage, RabbitPublisher, withTimeout } from './rabbit-publisher.js';
import { declareConsumer, declareExchange, RabbitNames } from './rabbit-topology.js';

export { deleteRabbitTopology } from './rabbit-topology.js';

export interface RabbitBusOptions extends BusOptions {
  url: string;
  /** How long `publish` waits for confirms (or a first connection) before rejecting. */
  publishTimeoutMs?: number;
  /** How long `declare` and `consume` wait for the broker before rejecting. */
  connectTimeoutMs?: number;
}

/** Cancel and close must not hang on a broker that stopped answering. */
const CLOSE_TIMEOUT_MS = 2_000;
/** A TCP connect to a black-holed host otherwise waits for the OS timeout (minutes). */
const SOCKET_CONNECT_TIMEOUT_MS = 5_000;

/** What lives on one live connection; a reconnect builds a new one from scratch. */
interface Session {
  model: ChannelModel;
  publisher: RabbitPublisher;
  /** Consumer groups started (or starting) here, so setup and `consume` never start one twice. */
  started: Map<ConsumerGroup, Promise<void>>;
}

interface ConsumerGroup {
  subscriptions: Subscription[];
  deadLetters: DeadLetterSink;
}

/**
 * The bus on RabbitMQ: a topic exchange, a quorum queue per consumer, TTL delay queues per retry tier,
 * and a `.dlq` copy of what went to the dead-letter store (topology in `rabbit-topology.ts`).
 *
 * amqplib's own recovery reconnects with capped, jittered backoff; each new connection runs `setUp`,
 * which reopens the publisher channel and re-declares and restarts every consumer. Any channel closing
 * unexpectedly closes the whole connection so that one recovery path handles every failure. While
 * disconnected, `publish` rejects at once: the outbox keeps its rows and the sweeper tries again.
 */
export class RabbitBus implements BusPort {
  readonly kind = 'rabbitmq' as const;
  private readonly names: RabbitNames;
  private readonly publishTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  /** Emits 'change' whenever the session, the last failure or `closed` changes. */
  private readonly changes = new EventEmitter().setMaxListeners(0);
  private readonly inFlight = new Set<Promise<void>>();
  /** Consumers whose channel is open, whichever connection they were started on. */
  private readonly consumers = new Set<RabbitConsumer>();
  private groups: ConsumerGroup[] = [];
  private connection: Promise<RecoveringChannelModel> | undefined;
  private session: Session | undefined;
  private lastFailure: Error | undefined;
  private closed = false;

  constructor(
    private readonly options: RabbitBusOptions,
    private readonly log: Logger,
  ) {
    this.names = new RabbitNames(options.namespace);
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
  }

  async declare(subscriptions: Subscription[]): Promise<void> {
    const session = await this.ready(this.connectTimeoutMs, false);
    const channel = await session.model.createChannel();
    channel.on('error', () => undefined); // the failing declare below rejects with the same error
    try {
      for (const subscription of subscriptions) {
        await declareConsumer(channel, this.names, subscription, this.options.retryDelaysMs);
      }
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async publish(envelopes: Envelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    const session = await this.ready(this.publishTimeoutMs, true);
    await session.publisher.publish(
      envelopes.map((envelope) => envelopeMessage(this.names.exchange, envelope.type, envelope)),
    );
  }

  async sendTo(consumer: string, envelope: Envelope): Promise<void> {
    const session = await this.ready(this.publishTimeoutMs, true);
    // Mandatory: a replay to a consumer whose queue does not exist fails instead of vanishing.
    await session.publisher.publish([envelopeMessage('', this.names.queue(consumer), envelope)], { mandatory: true });
  }

  /** Declares and starts consuming, or rejects if the broker is not reachable within `connectTimeoutMs`. */
  async consume(subscriptions: Subscription[], deadLetters: DeadLetterSink): Promise<void> {
    const group = { subscriptions, deadLetters };
    this.groups.push(group);
    try {
      await this.startGroup(await this.ready(this.connectTimeoutMs, false), group);
    } catch (error) {
      this.groups = this.groups.filter((other) => other !== group);
      throw error;
    }
  }

  async stopConsuming(): Promise<void> {
    this.groups = [];
    const consumers = [...this.consumers];
    this.consumers.clear();
    await Promise.allSettled(consumers.map((consumer) => withTimeout(consumer.cancel(), CLOSE_TIMEOUT_MS, 'cancel')));
    // Handlers of earlier connections count too: their work (and its ack or redelivery) must end first.
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    // Closing the channels returns messages the broker pushed after we stopped taking them.
    await Promise.allSettled(
      consumers.map((consumer) => withTimeout(consumer.channel.close(), CLOSE_TIMEOUT_MS, 'close')),
    );
  }

  async isHealthy(): Promise<boolean> {
    return this.ready(1_000, true).then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.stopConsuming();
    this.closed = true;
    this.session = undefined;
    this.changes.emit('change');
    const connection = await this.connection;
    if (!connection) return;
    await withTimeout(connection.close(), CLOSE_TIMEOUT_MS, 'closing the RabbitMQ connection').catch((error: unknown) =>
      this.log.warn({ err: error }, 'rabbit bus did not close cleanly'),
    );
  }

  /** The live session, waiting for one up to `timeoutMs`; `failFast` rejects at once while known to be down. */
  private async ready(timeoutMs: number, failFast: boolean): Promise<Session> {
    if (this.closed) throw new Error('RabbitMQ bus is closed');
    this.open();
    if (this.session) return this.session;
    const notConnected = () =>
      new Error(`RabbitMQ is not connected: ${describeError(this.lastFailure ?? 'still connecting')}`);
    if (failFast && this.lastFailure) throw notConnected();
    return new Promise<Session>((resolve, reject) => {
      const settle = () => {
        if (this.session) resolve(this.session);
        else if (this.closed) reject(new Error('RabbitMQ bus is closed'));
        else if (failFast && this.lastFailure) reject(notConnected());
        else return;
        done();
      };
      const timer = setTimeout(() => {
        reject(
          new Error(
            `RabbitMQ did not connect within ${timeoutMs} ms (${describeError(this.lastFailure ?? 'no answer')})`,
          ),
        );
        done();
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.changes.off('change', settle);
      };
      this.changes.on('change', settle);
    });
  }

  /** Connects on first use, so constructing the bus (e.g. in a producer that never publishes) costs nothing. */
  private open(): void {
    if (this.connection) return;
    this.connection = connect(this.options.url, {
      timeout: SOCKET_CONNECT_TIMEOUT_MS,
      clientProperties: { connection_name: `${this.options.namespace}@${hostname()}:${process.pid}` },
      recovery: {
        initialDelay: 200,
        maxDelay: 10_000,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.setUp(model),
      },
    });
    void this.connection.then((connection) => {
      const failed = (what: string) => (error: Error) => {
        this.session = undefined;
        this.lastFailure = error;
        this.log.warn({ err: error }, what);
        this.changes.emit('change');
      };
      connection.on('connect-failed', failed('rabbit bus could not connect; retrying'));
      connection.on('disconnect', failed('rabbit bus lost its connection; reconnecting'));
      connection.on('reconnect-failed', failed('rabbit bus gave up reconnecting'));
      // Always followed by 'disconnect', which logs it.
      connection.on('error', (error: Error) => this.log.debug({ err: error }, 'rabbit bus connection error'));
      connection.on('blocked', (reason: string) => this.log.warn({ reason }, 'RabbitMQ blocks publishing'));
      connection.on('unblocked', () => this.log.info('RabbitMQ unblocked publishing'));
    });
  }

  /** Runs on every new connection; if it throws, recovery closes the connection and tries again later. */
  private async setUp(model: ChannelModel): Promise<void> {
    model.on('error', () => undefined); // recovery forwards it once connected; until then it must not throw
    const channel = await model.createConfirmChannel();
    const session: Session = {
      model,
      publisher: new RabbitPublisher(channel, this.publishTimeoutMs),
      started: new Map(),
    };
    this.watch(session, channel, 'publisher', () => this.closed);
    await declareExchange(channel, this.names);
    for (const group of this.groups) await this.startGroup(session, group);
    this.session = session;
    this.lastFailure = undefined;
    this.log.info({ namespace: this.options.namespace, consumers: this.consumers.size }, 'rabbit bus connected');
    this.changes.emit('change');
  }

  private startGroup(session: Session, group: ConsumerGroup): Promise<void> {
    let started = session.started.get(group);
    if (!started) {
      started = this.startConsumers(session, group);
      session.started.set(group, started);
    }
    return started;
  }

  private async startConsumers(session: Session, group: ConsumerGroup): Promise<void> {
    for (const subscription of group.subscriptions) {
      const channel = await session.model.createChannel();
      const consumer = new RabbitConsumer(channel, subscription, {
        names: this.names,
        retryDelaysMs: this.options.retryDelaysMs,
        publisher: session.publisher,
        deadLetters: group.deadLetters,
        inFlight: this.inFlight,
        broken: (reason) => this.broken(session, reason),
        log: this.log,
      });
      this.watch(session, channel, `consumer ${subscription.consumer}`, () => consumer.isStopped);
      await declareConsumer(channel, this.names, subscription, this.options.retryDelaysMs);
      // Per consumer (global = false): each subscription has its own channel, so this is its own bound.
      await channel.prefetch(this.options.prefetch);
      if (!this.groups.includes(group)) {
        // stopConsuming ran while we were declaring.
        await consumer.cancel();
        await channel.close().catch(() => undefined);
        return;
      }
      this.consumers.add(consumer);
      channel.on('close', () => this.consumers.delete(consumer));
      await consumer.start();
    }
  }

  private watch(session: Session, channel: Channel, what: string, expectedClose: () => boolean): void {
    channel.on('error', (error: Error) => this.log.warn({ err: error }, `rabbit bus ${what} channel error`));
    channel.on('close', () => {
      // Deferred: when the connection itself failed, its channels close first; let the 'disconnect'
      // event report that instead of blaming a channel.
      setImmediate(() => {
        if (!expectedClose()) this.broken(session, `${what} channel closed`);
      });
    });
  }

  /** Drops a session that can no longer do its job; recovery reconnects and `setUp` rebuilds everything. */
  private broken(session: Session, reason: string): void {
    if (this.session !== session) return; // already gone, or still being set up (setup failures retry by themselves)
    this.session = undefined;
    this.changes.emit('change');
    this.log.warn({ reason }, 'rabbit bus reconnecting');
    session.model.close().catch(() => undefined); // already closing when the connection itself failed
  }
}
