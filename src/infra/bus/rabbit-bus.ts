import { hostname } from 'node:os';
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import type { BusOptions, BusPort, DeadLetterSink, Subscription } from './bus.port.js';
import type { Envelope } from './envelope.js';
import { RabbitConnection } from './rabbit-connection.js';
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

/** Cancelling and closing channels must not hang on a broker that stopped answering. */
const CLOSE_TIMEOUT_MS = 2_000;

/** What lives on one live connection; a reconnect builds a new one from scratch. */
interface Session {
  model: ChannelModel;
  publisher: RabbitPublisher;
  /** Consumer groups started (or starting) here, so setUp and `consume` never start one twice. */
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
 * Every new connection gets a publisher confirm channel and, while consuming, every consumer re-declared
 * and restarted. Any channel closing unexpectedly drops the whole connection, so one recovery path
 * handles every failure. While disconnected, `publish` rejects at once: the outbox keeps its rows and
 * the sweeper tries again.
 */
export class RabbitBus implements BusPort {
  readonly kind = 'rabbitmq' as const;
  private readonly names: RabbitNames;
  private readonly connection: RabbitConnection<Session>;
  private readonly publishTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  /** Consumers whose channel is open, whichever connection they were started on. */
  private readonly consumers = new Set<RabbitConsumer>();
  /** What to (re)start on every connection until `stopConsuming`. */
  private groups: ConsumerGroup[] = [];

  constructor(
    private readonly options: RabbitBusOptions,
    private readonly log: Logger,
  ) {
    this.names = new RabbitNames(options.namespace);
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.connection = new RabbitConnection<Session>(
      {
        url: options.url,
        name: `${options.namespace}@${hostname()}:${process.pid}`,
        setUp: (model) => this.setUp(model),
      },
      log,
    );
  }

  async declare(subscriptions: Subscription[]): Promise<void> {
    const session = await this.connection.ready(this.connectTimeoutMs, false);
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
    const session = await this.connection.ready(this.publishTimeoutMs, true);
    await session.publisher.publish(
      envelopes.map((envelope) => envelopeMessage(this.names.exchange, envelope.type, envelope)),
    );
  }

  async sendTo(consumer: string, envelope: Envelope): Promise<void> {
    const session = await this.connection.ready(this.publishTimeoutMs, true);
    // Mandatory: a replay to a consumer whose queue does not exist fails instead of vanishing.
    await session.publisher.publish([envelopeMessage('', this.names.queue(consumer), envelope)], { mandatory: true });
  }

  /** Declares and starts consuming, or rejects if the broker is not reachable within `connectTimeoutMs`. */
  async consume(subscriptions: Subscription[], deadLetters: DeadLetterSink): Promise<void> {
    const group = { subscriptions, deadLetters };
    this.groups.push(group);
    try {
      await this.startGroup(await this.connection.ready(this.connectTimeoutMs, false), group);
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
    return this.connection.ready(1_000, true).then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    if (this.connection.isClosed) return;
    // Handlers still running may publish retries, so the connection closes only after them.
    await this.stopConsuming();
    await this.connection.close();
  }

  private async setUp(model: ChannelModel): Promise<Session> {
    const channel = await model.createConfirmChannel();
    const session: Session = {
      model,
      publisher: new RabbitPublisher(channel, this.publishTimeoutMs),
      started: new Map(),
    };
    this.watch(session, channel, 'publisher', () => this.connection.isClosed);
    await declareExchange(channel, this.names);
    for (const group of this.groups) await this.startGroup(session, group);
    this.log.info({ namespace: this.options.namespace, consumers: this.consumers.size }, 'rabbit bus connected');
    return session;
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
        broken: (reason) => this.connection.drop(session, reason),
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
        if (!expectedClose()) this.connection.drop(session, `${what} channel closed`);
      });
    });
  }
}
