import type { Envelope } from './envelope.js';

/** A consumer as a transport sees it: a queue name, the event types bound to it, and what to run. */
/**
 * How long a transport lets a batch consumer's messages gather before handing them over: its work (the
 * audit trail, notifications) is never waited on, so a little latency buys one transaction for many.
 */
export const BATCH_LINGER_MS = 50;

export interface Subscription {
  /** Queue name: `[a-z][a-z0-9-]*`, unique in the deployment. */
  consumer: string;
  eventTypes: string[];
  /**
   * Resolves when the message's effect has committed; throws to ask for a retry. `signal` aborts when
   * the delivery outlives its deadline: the handler's transaction must then roll back.
   */
  deliver(envelope: Envelope, signal: AbortSignal): Promise<void>;
  /**
   * Optional: up to `batchSize` envelopes at once, all applied or none (it throws). A transport that
   * sees it gives a consumer what is waiting together; when a batch fails it retries each message
   * through `deliver`, so the tiers and dead letters work per message as ever.
   */
  deliverBatch?(envelopes: Envelope[], signal: AbortSignal): Promise<void>;
  batchSize?: number;
}

/** A message that failed its last retry tier, as the bus hands it to the dead-letter store. */
export interface FailedDelivery {
  consumer: string;
  envelope: Envelope;
  error: string;
}

export interface DeadLetterSink {
  store(failure: FailedDelivery): Promise<void>;
}

/**
 * The message bus port.
 *
 * - `publish` resolves only once the broker has durably accepted every envelope (a committed insert,
 *   or RabbitMQ publisher confirms). A rejection means "try again later"; the outbox keeps the rows.
 * - Delivery is at least once: consumers get each message one or more times, never zero.
 *   Exactly-once effects come from the inbox, not from the bus.
 * - A failed delivery is retried after growing delays (`retryDelaysMs`); after the last one the
 *   message goes to the dead-letter sink and leaves the queue. Nothing is requeued in a hot loop.
 * - A delivery that neither resolves nor rejects within `handlerTimeoutMs` fails like any other
 *   (its signal aborts), so one stuck handler cannot hold a prefetch slot forever.
 * - `declare` and `consume` do not wait for an unreachable transport: they take effect when it answers.
 */
export interface BusPort {
  readonly kind: 'table' | 'rabbitmq';
  /** Declares queues and bindings for these subscriptions; idempotent. Producers need not call it. */
  declare(subscriptions: Subscription[]): Promise<void>;
  publish(envelopes: Envelope[]): Promise<void>;
  /** Puts an envelope on one consumer's queue only (dead-letter replay). */
  sendTo(consumer: string, envelope: Envelope): Promise<void>;
  /** Starts delivering to the subscriptions (declares them first). */
  consume(subscriptions: Subscription[], deadLetters: DeadLetterSink): Promise<void>;
  /** Stops taking new messages and waits for the ones in flight. */
  stopConsuming(): Promise<void>;
  /** Is the transport reachable right now? */
  isHealthy(): Promise<boolean>;
  /** Why it is not, when known (for readiness and operators): the last connection failure. */
  unhealthyBecause?(): string | undefined;
  close(): Promise<void>;
}

export const BUS = Symbol('BUS');

/**
 * The transport is not reachable right now (a broker outage): expected, already logged by the bus,
 * and the outbox keeps what could not be published. Callers log it quietly, if at all.
 */
export class BusUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BusUnavailable';
  }
}

export interface BusOptions {
  /** Prefix of every exchange, queue and table-bus consumer name (`ordo` → `ordo.events`). */
  namespace: string;
  /** Delay before each retry; the message is dead-lettered after the last. */
  retryDelaysMs: number[];
  /** Messages one consumer works on at once. */
  prefetch: number;
  /** Deadline of one delivery; past it the delivery fails into the retry tiers. Unset: no deadline. */
  handlerTimeoutMs?: number;
}
