import { hostname } from 'node:os';
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import { BusUnavailable, type BusOptions, type BusPort, type DeadLetterSink, type Subscription } from './bus.port.js';
import type { Envelope } from './envelope.js';
import { RabbitConnection } from './rabbit-connection.js';
import { RabbitConsumer } from './rabbit-consumer.js';
import { RabbitDeadLetterIntake } from './rabbit-dead-letter-intake.js';
import { envelopeMessage, RabbitPublisher, withTimeout } from './rabbit-publisher.js';
import { declareConsumer, declareNamespace, RabbitNames } from './rabbit-topology.js';

export { deleteRabbitTopology } from './rabbit-topology.js';

export interface RabbitBusOptions extends BusOptions {
  url: string;
  /** How long `publish` waits for confirms (or a first connection) before rejecting. */
  publishTimeoutMs?: number;
  /** How long `declare` and `consume` wait for a first answer before going on without the broker. */
  connectTimeoutMs?: number;
}

/** Cancelling and closing channels must not hang on a broker that stopped answering. */
const CLOSE_TIMEOUT_MS = 2_000;

/** What lives on one live connection; a reconnect builds a new one from scratch. */
interface Session {
  model: ChannelModel;
  publisher: RabbitPublisher;
  namespaceDeclared: boolean;
  /** How many of the bus's subscriptions (which only grow) this connection has declared. */
  declared: number;
  declaring: Promise<void>;
  /** Consumer groups started (or starting) here, so setUp and `consume` never start one twice. */
  started: Map<ConsumerGroup, Promise<void>>;
}

interface ConsumerGroup {
  subscriptions: Subscription[];
  deadLetters: DeadLetterSink;
}

type Settling = RabbitConsumer | RabbitDeadLetterIntake;

/**
 * The bus on RabbitMQ (topology in `rabbit-topology.ts`): a topic exchange, a quorum queue per
 * consumer, one delay queue per retry tier shared by every consumer of the namespace, and one
 * dead-letter queue whose messages every consuming process moves into the dead-letter store.
 *
 * Every new connection declares the topology, gets a publisher confirm channel and, while consuming,
 * restarts every consumer. Any channel closing unexpectedly drops the whole connection, so one
 * recovery path handles every failure. The broker need not be up at start: `declare` and `consume`
 * take effect once it answers, and meanwhile `publish` rejects at once (the outbox keeps its rows and
 * the sweeper tries again).
 */
export class RabbitBus implements BusPort {
  readonly kind = 'rabbitmq' as const;
  private readonly names: RabbitNames;
  private readonly connection: RabbitConnection<Session>;
  private readonly publishTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  /** Consumers whose channel is open, whichever connection they were started on. */
  private readonly consumers = new Set<Settling>();
  /** Every subscription declared or consumed so far, in order; each connection declares them all. */
  private readonly subscriptions: Subscription[] = [];
  /** What to (re)start on every connection until `stopConsuming`. */
  private groups: ConsumerGroup[] = [];
  /** The dead-letter intake started on each connection while consuming. */
  private intakes = new WeakMap<Session, Promise<void>>();

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
    this.remember(subscriptions);
    const session = await this.firstAnswer('declaring its queues');
    if (session) await this.declareOn(session);
  }

  async publish(envelopes: Envelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    const session = await this.live();
    await this.declareOn(session);
    await session.publisher.publish(
      envelopes.map((envelope) => envelopeMessage(this.names.exchange, envelope.type, envelope)),
    );
  }

  async sendTo(consumer: string, envelope: Envelope): Promise<void> {
    const session = await this.live();
    await this.declareOn(session);
    // Mandatory: a replay to a consumer whose queue does not exist fails instead of vanishing.
    await session.publisher.publish([envelopeMessage('', this.names.queue(consumer), envelope)], { mandatory: true });
  }

  /** Starts consuming now, or as soon as the broker answers. */
  async consume(subscriptions: Subscription[], deadLetters: DeadLetterSink): Promise<void> {
    this.remember(subscriptions);
    const group = { subscriptions, deadLetters };
    this.groups.push(group);
    const session = await this.firstAnswer('consuming');
    if (!session) return;
    try {
      await this.startGroup(session, group);
    } catch (error) {
      // The connection went down meanwhile (or a channel failed): the next connection starts the group.
      this.log.warn({ err: error }, 'rabbit bus could not start consuming yet; it will on the next connection');
      this.connection.drop(session, 'starting consumers failed');
    }
  }

  async stopConsuming(): Promise<void> {
    this.groups = [];
    this.intakes = new WeakMap();
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

  /** Connected, with the topology declared: a broker that accepts TCP but never answers AMQP is down. */
  async isHealthy(): Promise<boolean> {
    return this.connection.ready(1_000, true).then(
      () => true,
      () => false,
    );
  }

  unhealthyBecause(): string | undefined {
    return this.connection.failure;
  }

  async close(): Promise<void> {
    if (this.connection.isClosed) return;
    // Handlers still running may publish retries, so the connection closes only after them.
    await this.stopConsuming();
    await this.connection.close();
  }

  /** The live session for publishing; rejects at once while the broker is known to be down. */
  private async live(): Promise<Session> {
    try {
      return await this.connection.ready(this.publishTimeoutMs, true);
    } catch (error) {
      if (this.connection.isClosed) throw error;
      throw new BusUnavailable(error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  private remember(subscriptions: Subscription[]): void {
    for (const subscription of subscriptions) {
      if (!this.subscriptions.includes(subscription)) this.subscriptions.push(subscription);
    }
  }

  /**
   * The live session, or undefined when the broker does not answer the first attempt (refused,
   * unreachable, or no AMQP handshake): the caller goes on, and `setUp` catches up once it answers.
   */
  private async firstAnswer(what: string): Promise<Session | undefined> {
    try {
      return await this.connection.ready(this.connectTimeoutMs, true);
    } catch (error) {
      if (this.connection.isClosed) throw error;
      this.log.warn({ err: error }, `RabbitMQ does not answer; ${what} once it does`);
      return undefined;
    }
  }

  private async setUp(model: ChannelModel): Promise<Session> {
    const channel = await model.createConfirmChannel();
    const session: Session = {
      model,
      publisher: new RabbitPublisher(channel, this.publishTimeoutMs),
      namespaceDeclared: false,
      declared: 0,
      declaring: Promise.resolve(),
      started: new Map(),
    };
    this.watch(session, channel, 'publisher', () => this.connection.isClosed);
    await this.declareOn(session);
    for (const group of this.groups) await this.startGroup(session, group);
    this.log.info({ namespace: this.options.namespace, consumers: this.consumers.size }, 'rabbit bus connected');
    return session;
  }

  /**
   * Declares, on this connection, whatever it has not declared yet: cheap when up to date, so every
   * publish calls it and nothing reaches an exchange before the queues bound to it exist.
   */
  private declareOn(session: Session): Promise<void> {
    if (session.namespaceDeclared && session.declared === this.subscriptions.length) return session.declaring;
    session.declaring = session.declaring
      .catch(() => undefined)
      .then(async () => {
        if (session.namespaceDeclared && session.declared === this.subscriptions.length) return;
        const channel = await session.model.createChannel();
        channel.on('error', () => undefined); // the failing declare rejects with the same error
        try {
          if (!session.namespaceDeclared) {
            await declareNamespace(channel, this.names, this.options.retryDelaysMs);
            session.namespaceDeclared = true;
          }
          while (session.declared < this.subscriptions.length) {
            await declareConsumerExplained(channel, this.names, this.subscriptions[session.declared]!);
            session.declared += 1;
          }
        } finally {
          await channel.close().catch(() => undefined);
        }
      });
    return session.declaring;
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
    await this.declareOn(session);
    for (const subscription of group.subscriptions) {
      const channel = await session.model.createChannel();
      const consumer = new RabbitConsumer(channel, subscription, {
        names: this.names,
        retryDelaysMs: this.options.retryDelaysMs,
        handlerTimeoutMs: this.options.handlerTimeoutMs,
        publisher: session.publisher,
        deadLetters: group.deadLetters,
        inFlight: this.inFlight,
        broken: (reason) => this.connection.drop(session, reason),
        log: this.log,
      });
      // Per consumer (global = false): each subscription has its own channel, so this is its own bound. A
      // batch consumer may hold a whole batch.
      await channel.prefetch(Math.max(this.options.prefetch, subscription.batchSize ?? 0));
      if (!(await this.keep(session, channel, consumer, `consumer ${subscription.consumer}`, group))) return;
    }
    let intake = this.intakes.get(session);
    if (!intake) {
      intake = this.startIntake(session, group.deadLetters);
      this.intakes.set(session, intake);
    }
    await intake;
  }

  /** One per connection: moves what the broker dead-lettered into the dead-letter store. */
  private async startIntake(session: Session, deadLetters: DeadLetterSink): Promise<void> {
    const channel = await session.model.createChannel();
    const intake = new RabbitDeadLetterIntake(channel, this.names, deadLetters, this.inFlight, this.log);
    await this.keep(session, channel, intake, 'dead-letter intake');
  }

  /** Starts a consumer unless `stopConsuming` ran meanwhile; false when it did. */
  private async keep(
    session: Session,
    channel: Channel,
    consumer: Settling,
    what: string,
    group?: ConsumerGroup,
  ): Promise<boolean> {
    this.watch(session, channel, what, () => consumer.isStopped);
    if (group ? !this.groups.includes(group) : this.groups.length === 0) {
      await consumer.cancel();
      await channel.close().catch(() => undefined);
      return false;
    }
    this.consumers.add(consumer);
    channel.on('close', () => this.consumers.delete(consumer));
    await consumer.start();
    return true;
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

/** A queue left by an older Ordo has other arguments: say what to do instead of only "PRECONDITION_FAILED". */
async function declareConsumerExplained(channel: Channel, names: RabbitNames, subscription: Subscription) {
  try {
    await declareConsumer(channel, names, subscription);
  } catch (error) {
    if (!/PRECONDITION_FAILED/.test(String(error))) throw error;
    throw new Error(
      `RabbitMQ refused to declare ${names.queue(subscription.consumer)} (${String(error)}). It was probably ` +
        'declared by an older Ordo, with per-consumer retry queues: stop the older processes and run ' +
        '`npm run bus:upgrade` (docs/ARCHITECTURE.md, "Upgrading the RabbitMQ topology").',
      { cause: error },
    );
  }
}
