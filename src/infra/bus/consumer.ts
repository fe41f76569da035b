import { SetMetadata } from '@nestjs/common';
import type { Db } from '../database/sql-database.js';
import { definedEventTypes, eventDefinition, type Envelope, type EventDefinition } from './envelope.js';
import { DEAD_LETTERS } from './rabbit-topology.js';
import type { AfterCommit, Emit } from './unit-of-work.js';

export const CONSUMER_METADATA = 'ordo:consumer';

/** A consumer with its event types resolved, as the inbox processor and the transports see it. */
export interface ConsumerOptions {
  /** Queue name, unique in the deployment: `[a-z][a-z0-9-]*`. */
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  events: EventDefinition<any>[];
  /** Which database the handler's transaction (and its inbox row) lives in. */
  scope: 'control' | 'tenant';
  /**
   * Up to this many messages handled in one transaction with their inbox rows (control scope only):
   * for high-volume consumers whose work per message is small (the audit trail, notifications). A
   * batch that fails is retried message by message, so one bad message never holds back the others.
   */
  batch?: number;
}

/**
 * What `@Consumer` takes: the events to handle, or `'all'` for every type defined with `defineEvent`
 * (resolved by the ConsumerRegistry at start, so a type defined later in development is bound too).
 */
export interface ConsumerDeclaration extends Omit<ConsumerOptions, 'events'> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  events: EventDefinition<any>[] | 'all';
}

export interface HandlerContext<Prepared = void> {
  /** The transaction the handler's writes, its inbox row and any emitted events commit in. */
  tx: Db;
  emit: Emit;
  /** Best-effort work for after the commit (cache invalidation, realtime pushes). */
  afterCommit: AfterCommit;
  envelope: Envelope;
  /** What `prepare()` returned for this delivery (undefined without a `prepare`). */
  prepared: Prepared;
}

/** A message consumer: decorate a provider with `@Consumer(...)` and implement `handle`. */
export interface MessageHandler<Payload = unknown, Prepared = void> {
  /**
   * Optional work before the transaction opens (a slow external call): it runs again on every
   * redelivery, so it must be safe to repeat. Keeping it out of the transaction keeps it from holding
   * a connection (or, embedded, the whole database) while it waits. What it returns reaches `handle`
   * as `context.prepared`.
   */
  prepare?(payload: Payload, envelope: Envelope): Promise<Prepared>;
  /** For batch consumers: prepare many messages at once (one read instead of one per message). */
  prepareBatch?(items: { payload: Payload; envelope: Envelope }[]): Promise<Prepared[]>;
  handle(payload: Payload, context: HandlerContext<Prepared>): Promise<void>;
  /**
   * For batch consumers whose work is the same for every message (an insert): the new messages of a
   * batch at once, in one statement instead of one each. Without it, `handle` runs per message.
   */
  handleBatch?(items: HandlerContext<Prepared>[], payloads: Payload[]): Promise<void>;
}

/** Marks a provider as a bus consumer; the worker role discovers it at start and refuses duplicates. */
export const Consumer = (options: ConsumerDeclaration): ClassDecorator => {
  if (!/^[a-z][a-z0-9-]*$/.test(options.name))
    throw new Error(`Consumer name "${options.name}" is not [a-z][a-z0-9-]*`);
  if (options.name === DEAD_LETTERS) throw new Error(`Consumer name "${DEAD_LETTERS}" is reserved for the bus`);
  if (options.events !== 'all' && options.events.length === 0)
    throw new Error(`Consumer "${options.name}" handles no events`);
  // Platform events carry no tenant, so a consumer of every event cannot run in a tenant database.
  if (options.events === 'all' && options.scope !== 'control')
    throw new Error(`Consumer "${options.name}" handles all events, so its scope must be 'control'`);
  // A batch may hold messages of many tenants: only the control database can take them in one transaction.
  if (options.batch !== undefined && (options.scope !== 'control' || options.batch < 2))
    throw new Error(`Consumer "${options.name}" batches, so its scope must be 'control' and its batch at least 2`);
  const mark = SetMetadata(CONSUMER_METADATA, options);
  return (target) => {
    declared.set(options.name, options);
    mark(target);
  };
};

/** Every `@Consumer` in the modules imported so far, by name: what tools see without starting Nest. */
const declared = new Map<string, ConsumerDeclaration>();

/**
 * The consumers every imported module declares, their events resolved. Tools that must know the whole
 * topology (the RabbitMQ upgrade, the tests' namespace pool) import the app module first.
 */
export function declaredConsumers(): ConsumerOptions[] {
  return [...declared.values()].map(resolveConsumer);
}

/** `events: 'all'` resolved to every type defined with `defineEvent` so far. */
export function resolveConsumer(declaration: ConsumerDeclaration): ConsumerOptions {
  if (declaration.events !== 'all') return { ...declaration, events: declaration.events };
  return { ...declaration, events: definedEventTypes().map((type) => eventDefinition(type)!) };
}
