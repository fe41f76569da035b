// `npm run bench -- bus`: how many events per second get from "committed in the outbox" to "handled by a
// consumer", per bus adapter, each beside a baseline of the raw infrastructure measured in the same run.
//
// The pipeline is the real one, assembled without Nest as the contract test does: UnitOfWork writes a
// bus_probes row and its event in one transaction and kicks the OutboxRelay, which publishes on the bus;
// the bus delivers to an InboxProcessor subscription whose handler increments that row's counter in a
// transaction with its inbox row. "Handled" is when that transaction has committed.
import { eq, sql } from 'drizzle-orm';
import amqp from 'amqplib';
import pg from 'pg';
import type { Logger } from 'pino';
import { newId } from '../src/common/ids.js';
import type { BusPort, Subscription } from '../src/infra/bus/bus.port.js';
import { DeadLetterStore } from '../src/infra/bus/dead-letter-store.js';
import { InboxProcessor } from '../src/infra/bus/inbox-processor.js';
import { OutboxRelay } from '../src/infra/bus/outbox-relay.js';
import { deleteRabbitTopology, RabbitBus } from '../src/infra/bus/rabbit-bus.js';
import { withTimeout } from '../src/infra/bus/rabbit-publisher.js';
import { TableBus } from '../src/infra/bus/table-bus.js';
import { UnitOfWork } from '../src/infra/bus/unit-of-work.js';
import { migrate } from '../src/infra/database/migrator.js';
import { PgliteDatabase } from '../src/infra/database/pglite-database.js';
import { PostgresDatabase } from '../src/infra/database/postgres-database.js';
import type { SqlDatabase } from '../src/infra/database/sql-database.js';
import type { TenantDatabases } from '../src/infra/database/tenant-databases.port.js';
import { ProbeRequested } from '../src/modules/probes/probe.events.js';
import { busProbes } from '../src/modules/probes/probes.tables.js';
import {
  benchLogger,
  createDatabase,
  describeError,
  envInt,
  formatNumber,
  formatTable,
  machineInfo,
  measurement,
  now,
  progress,
  round,
  runConcurrently,
  serviceAnswers,
  serviceUrls,
  summarize,
  uniqueSuffix,
  waitUntil,
  writeResults,
  type LatencySummary,
  type Measurement,
} from './support.js';

interface Parameters {
  /** Events (or baseline operations) measured per row. */
  events: number;
  /** Events pushed through first and not measured: JIT, pools and broker channels warm up. */
  warmup: number;
  /** Events committed one at a time, each handled before the next: latency of an idle pipeline. */
  idleEvents: number;
  /** Producer transactions (or baseline operations) in flight at once, like that many API requests. */
  concurrency: number;
  /** BusOptions.prefetch, and the raw amqplib consumer's prefetch. */
  prefetch: number;
  /** PostgreSQL pool size of the control database (DATABASE_POOL_SIZE's default). */
  poolSize: number;
  /** Times each row (baseline + bus) is repeated; the round with the median ratio is reported. */
  rounds: number;
  /** How long to wait, once every event is committed, for the last ones to be handled; then the row fails. */
  timeoutMs: number;
}

function parameters(): Parameters {
  const events = envInt('BENCH_EVENTS', 2_000);
  return {
    events,
    warmup: envInt('BENCH_WARMUP', Math.min(200, Math.max(20, Math.floor(events / 10)))),
    idleEvents: envInt('BENCH_IDLE_EVENTS', 200),
    rounds: envInt('BENCH_ROUNDS', 3),
    concurrency: envInt('BENCH_CONCURRENCY', 16),
    prefetch: envInt('BENCH_PREFETCH', 16),
    poolSize: envInt('BENCH_POOL_SIZE', 10),
    timeoutMs: envInt('BENCH_TIMEOUT_MS', 90_000),
  };
}

const CONSUMER = 'bench-probe';
/** Never reached (nothing fails), but the RabbitMQ topology is declared and deleted with these tiers. */
const RETRY_DELAYS_MS = [1_000];
const PAYLOAD = { delayMs: 0, fail: false };

interface BusMeasurement extends Measurement {
  /**
   * Commit → handled with one event in the pipeline at a time. Under load (`latencyMs`) the producers
   * outrun the consumer and latency mostly measures the backlog; this is the pipeline's own delay.
   */
  idleLatencyMs: LatencySummary;
  /**
   * How fast the producers' transactions went through (first to last commit). Above `perSecond`, the
   * relay or the consumer is the bottleneck and a backlog builds up.
   */
  committedPerSecond: number;
  /**
   * Share of the events already handled when the last one was committed. Low means the consumer side
   * (relay, claims, handlers) was starved while the producers ran, e.g. waiting for pool connections.
   */
  handledWhileProducing: number;
  /** Deliveries the inbox recognised as repeats; should be 0 in a run without failures. */
  duplicates: number;
  /** Relay publish calls under load, and the mean number of events in each: how well kicks coalesce. */
  relayBatches: number;
  meanRelayBatch: number;
  /** Every bus_probes row has handled_count = 1 afterwards (exactly-once, checked in the database). */
  verified: boolean;
}

interface Baseline extends Measurement {
  name: string;
  /** One operation at a time, as the bus's idle latency: the raw round trip. */
  idleLatencyMs: LatencySummary;
}

interface Row {
  adapter: string;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  bus?: BusMeasurement;
  baseline?: Baseline;
  /** Bus events/s divided by baseline operations/s. */
  ratio?: number;
  /** With BENCH_ROUNDS > 1: the lowest and highest ratio of the rounds, and every round in full. */
  ratioRange?: [number, number];
  rounds?: Row[];
}

export async function run(): Promise<void> {
  const startedAt = new Date();
  const params = parameters();
  const machine = machineInfo();
  const log = benchLogger();
  console.log(
    `\nbus benchmark — ${params.events} events, ${params.concurrency} producers in flight, prefetch ${params.prefetch}, ` +
      `${machine.cpus} CPUs, Node ${machine.node}\n`,
  );

  // Each baseline runs right before its adapter, on the same database or broker, so both see the same
  // machine conditions; rows run one after another so they never compete for the 2 cores.
  const rows: Row[] = [];
  for (const { adapter, measure } of scenarios) {
    const rounds: Row[] = [];
    for (let round = 1; round <= params.rounds; round++) {
      if (params.rounds > 1) progress(`${adapter}: round ${round} of ${params.rounds}`);
      const row = await measure(adapter, params, log).catch((error: unknown): Row => ({
        adapter,
        status: 'failed',
        note: describeError(error),
      }));
      rounds.push(row);
      if (row.status !== 'ok') break; // a skipped service stays skipped; a failure is reported as is
    }
    const row = medianRound(rounds);
    rows.push(row);
    if (row.status === 'failed') process.exitCode = 1;
  }

  printRows(rows);
  const path = writeResults('bus', startedAt, {
    benchmark: 'bus',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    // Load at the end too: other work on the machine during the run explains an outlier.
    machine: { ...machine, loadAverageAtEnd: machineInfo().loadAverage },
    parameters: params,
    rows,
  });
  console.log(`\nresults: ${path}`);
}

// ─── Scenarios ──────────────────────────────────────────────────────────────────────────────────────

type Scenario = (adapter: string, params: Parameters, log: Logger) => Promise<Row>;

const pgliteRow: Scenario = async (adapter, params, log) => {
  progress(`${adapter}: opening an in-memory PGlite and applying the control migrations`);
  const control = await PgliteDatabase.open();
  try {
    await migrate(control, 'control');
    progress(`${adapter}: baseline (raw single-row insert transactions)`);
    const baseline = await rawSqlOnPglite(control, params);
    progress(`${adapter}: ${params.events} events`);
    const bus = new TableBus(
      control,
      { namespace: 'ordo', retryDelaysMs: RETRY_DELAYS_MS, prefetch: params.prefetch },
      log,
    );
    const measured = await measureBus(bus, control, params, log).finally(() => bus.close());
    return completed(adapter, measured, baseline);
  } finally {
    await control.close();
  }
};

const postgresRow: Scenario = async (adapter, params, log) => {
  if (!(await serviceAnswers(serviceUrls.postgres))) return skipped(adapter, 'postgres', serviceUrls.postgres);
  const database = await createDatabase();
  try {
    const control = new PostgresDatabase({
      url: database.url,
      poolSize: params.poolSize,
      applicationName: 'ordo-bench',
    });
    try {
      await migrate(control, 'control');
      progress(`${adapter}: baseline (raw single-row insert transactions through pg)`);
      const baseline = await rawSqlOnPostgres(control.pool, params);
      progress(`${adapter}: ${params.events} events`);
      const bus = new TableBus(
        control,
        { namespace: 'ordo', retryDelaysMs: RETRY_DELAYS_MS, prefetch: params.prefetch },
        log,
      );
      const measured = await measureBus(bus, control, params, log).finally(() => bus.close());
      return completed(adapter, measured, baseline);
    } finally {
      await control.close();
    }
  } finally {
    await database.drop();
  }
};

const rabbitRow: Scenario = async (adapter, params, log) => {
  if (!(await serviceAnswers(serviceUrls.rabbitmq))) return skipped(adapter, 'rabbitmq', serviceUrls.rabbitmq);
  if (!(await serviceAnswers(serviceUrls.postgres))) return skipped(adapter, 'postgres', serviceUrls.postgres);
  // A namespace of our own: the exchange and queues cannot collide with a running Ordo or a test.
  const namespace = `ordo-bench-${uniqueSuffix()}`;
  progress(`${adapter}: baseline (raw amqplib, confirm channel → quorum queue → ack)`);
  const baseline = await rawAmqp(serviceUrls.rabbitmq, `${namespace}.raw`, params);
  const database = await createDatabase();
  try {
    const control = new PostgresDatabase({
      url: database.url,
      poolSize: params.poolSize,
      applicationName: 'ordo-bench',
    });
    try {
      await migrate(control, 'control');
      progress(`${adapter}: ${params.events} events (control database on PostgreSQL)`);
      const bus = new RabbitBus(
        { url: serviceUrls.rabbitmq, namespace, retryDelaysMs: RETRY_DELAYS_MS, prefetch: params.prefetch },
        log,
      );
      const measured = await measureBus(bus, control, params, log).finally(() => bus.close());
      return completed(adapter, measured, baseline);
    } finally {
      await control.close();
    }
  } finally {
    await deleteRabbitTopology(serviceUrls.rabbitmq, namespace, [CONSUMER], RETRY_DELAYS_MS).catch((error: unknown) =>
      progress(`could not delete RabbitMQ namespace ${namespace}: ${describeError(error)}`),
    );
    await database.drop();
  }
};

const scenarios: { adapter: string; measure: Scenario }[] = [
  { adapter: 'table bus · PGlite', measure: pgliteRow },
  { adapter: 'table bus · PostgreSQL', measure: postgresRow },
  { adapter: 'RabbitMQ bus', measure: rabbitRow },
];

function completed(adapter: string, bus: BusMeasurement, baseline: Baseline): Row {
  return { adapter, status: 'ok', bus, baseline, ratio: round(bus.perSecond / baseline.perSecond, 3) };
}

/**
 * One noisy round can halve a figure, so with several rounds the one with the median ratio stands for
 * the row (its figures stay consistent with each other), and the spread goes beside it.
 */
function medianRound(rounds: Row[]): Row {
  const last = rounds.at(-1)!;
  if (rounds.length === 1 || last.status !== 'ok') return last;
  const sorted = [...rounds].sort((a, b) => (a.ratio ?? 0) - (b.ratio ?? 0));
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { ...median, ratioRange: [sorted[0]!.ratio ?? 0, sorted.at(-1)!.ratio ?? 0], rounds };
}

function skipped(adapter: string, service: string, url: string): Row {
  const where = new URL(url);
  return { adapter, status: 'skipped', note: `${service} not reachable at ${where.host}` };
}

// ─── The bus pipeline ───────────────────────────────────────────────────────────────────────────────

/** The consumer is control-scoped, so it never asks for a tenant database. */
const noTenants: TenantDatabases = {
  provision: () => Promise.reject(new Error('no tenants in the bus benchmark')),
  forTenant: () => Promise.reject(new Error('no tenants in the bus benchmark')),
  migrateAll: async () => [],
  list: async () => [],
  drop: () => Promise.reject(new Error('no tenants in the bus benchmark')),
  openPools: () => 0,
  close: async () => undefined,
};

/**
 * Commits warm-up events, then `events` more with `concurrency` transactions in flight, and waits until
 * every one is handled. Throughput spans the first commit to the last handled event; latency is each
 * event's commit → handled.
 */
async function measureBus(
  bus: BusPort,
  control: SqlDatabase,
  params: Parameters,
  log: Logger,
): Promise<BusMeasurement> {
  let relayBatches = 0;
  let relayed = 0;
  const relay = new OutboxRelay(bus, log, {
    published: (count) => {
      relayBatches++;
      relayed += count;
    },
    lag: () => undefined,
  });
  const unitOfWork = new UnitOfWork(relay, log);
  let duplicates = 0;
  const processor = new InboxProcessor(control, noTenants, unitOfWork, log, {
    consumed: (_consumer, _type, outcome) => {
      if (outcome === 'duplicate') duplicates++;
    },
  });

  // Stamped by message id, in this process, with one monotonic clock.
  const committedAt = new Map<string, number>();
  const handledAt = new Map<string, number>();

  const inner = processor.subscription(
    { name: CONSUMER, events: [ProbeRequested], scope: 'control' },
    {
      // What the real probe consumer does: one row written in the handler's transaction.
      handle: async (_payload, { tx, envelope }) => {
        await tx
          .update(busProbes)
          .set({ handledCount: sql`${busProbes.handledCount} + 1`, lastHandledAt: sql`now()` })
          .where(eq(busProbes.id, envelope.aggregateId));
      },
    },
  );
  // `deliver` resolves once the handler's transaction (with its inbox row) has committed: "handled".
  const subscription: Subscription = {
    ...inner,
    deliver: async (envelope, signal) => {
      await inner.deliver(envelope, signal);
      if (!handledAt.has(envelope.id)) handledAt.set(envelope.id, now());
    },
  };

  const commit = async (): Promise<void> => {
    const messageId = await unitOfWork.run(control, async (tx, emit) => {
      const aggregateId = newId();
      await tx.insert(busProbes).values({ id: aggregateId });
      const envelope = await emit(ProbeRequested, { aggregateId, payload: PAYLOAD });
      return envelope.id;
    });
    committedAt.set(messageId, now());
  };

  let lastCommit = 0;
  let handledByLastCommit = 0;
  const pushThrough = async (count: number): Promise<number> => {
    committedAt.clear();
    handledAt.clear();
    const start = now();
    await runConcurrently(count, params.concurrency, () => commit());
    lastCommit = now();
    handledByLastCommit = handledAt.size;
    await waitUntil(
      () => handledAt.size >= count,
      params.timeoutMs,
      () => `${handledAt.size} of ${count} events handled`,
    );
    return start;
  };

  await bus.consume([subscription], new DeadLetterStore(control, bus));
  try {
    await pushThrough(params.warmup);
    duplicates = 0;
    relayBatches = 0;
    relayed = 0;

    const start = await pushThrough(params.events);
    const committedPerSecond = round(params.events / ((lastCommit - start) / 1000), 1);
    const handledWhileProducing = round(handledByLastCommit / params.events, 3);
    let end = start;
    for (const handled of handledAt.values()) end = Math.max(end, handled);
    const latencies = latenciesOf(committedAt, handledAt);
    const loadedRelay = { batches: relayBatches, meanBatch: round(relayed / Math.max(1, relayBatches), 1) };

    // One at a time: each commit finds the relay and the consumer idle.
    const idleLatencies: number[] = [];
    for (let i = 0; i < params.idleEvents; i++) {
      await pushThrough(1);
      idleLatencies.push(...latenciesOf(committedAt, handledAt));
    }
    const [check] = await control.query<{ wrong: number | string }>(
      sql`select count(*) filter (where handled_count <> 1) as wrong from bus_probes`,
    );
    return {
      ...measurement(params.events, end - start, latencies),
      idleLatencyMs: summarize(idleLatencies),
      committedPerSecond,
      handledWhileProducing,
      duplicates,
      relayBatches: loadedRelay.batches,
      meanRelayBatch: loadedRelay.meanBatch,
      verified: Number(check?.wrong ?? -1) === 0,
    };
  } finally {
    await bus.stopConsuming();
    await relay.idle();
  }
}

function latenciesOf(committedAt: Map<string, number>, handledAt: Map<string, number>): number[] {
  // Clamped: a stamp taken after the commit resolved could in theory trail a very fast handler.
  return [...committedAt].map(([id, committed]) => Math.max(0, (handledAt.get(id) ?? Number.NaN) - committed));
}

// ─── Baselines ──────────────────────────────────────────────────────────────────────────────────────

/** What one baseline operation writes: about the size of an outbox row. */
const SCRATCH_PAYLOAD = JSON.stringify({ aggregateId: newId(), type: 'probe.requested', payload: PAYLOAD });

/**
 * Times `operation` run `events` times with `concurrency` in flight, after an unmeasured warm-up, then
 * `idleEvents` times one at a time. The latency of each is its own duration.
 */
async function timeOperations(name: string, params: Parameters, operation: () => Promise<void>): Promise<Baseline> {
  await runConcurrently(params.warmup, params.concurrency, operation);
  const latencies: number[] = [];
  const timed = async () => {
    const began = now();
    await operation();
    latencies.push(now() - began);
  };
  const start = now();
  await runConcurrently(params.events, params.concurrency, timed);
  const loaded = measurement(params.events, now() - start, latencies);
  latencies.length = 0;
  await runConcurrently(params.idleEvents, 1, timed);
  return { name, ...loaded, idleLatencyMs: summarize(latencies) };
}

/**
 * The cheapest durable write the table bus could hope for: one single-row INSERT per transaction
 * (BEGIN / INSERT / COMMIT, as Drizzle issues them), same pool, same concurrency.
 */
async function rawSqlOnPostgres(pool: pg.Pool, params: Parameters): Promise<Baseline> {
  await pool.query(
    'create table bench_scratch (id bigserial primary key, payload jsonb not null, created_at timestamptz not null default now())',
  );
  try {
    return await timeOperations('raw SQL insert tx · PostgreSQL', params, async () => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query('insert into bench_scratch (payload) values ($1)', [SCRATCH_PAYLOAD]);
        await client.query('commit');
      } finally {
        client.release();
      }
    });
  } finally {
    await pool.query('drop table bench_scratch');
  }
}

/** The same on the embedded database, through PGlite's own client (it runs one transaction at a time). */
async function rawSqlOnPglite(database: PgliteDatabase, params: Parameters): Promise<Baseline> {
  const client = database.client;
  await client.exec(
    'create table bench_scratch (id bigserial primary key, payload jsonb not null, created_at timestamptz not null default now())',
  );
  try {
    return await timeOperations('raw SQL insert tx · PGlite', params, async () => {
      await client.transaction(async (tx) => {
        await tx.query('insert into bench_scratch (payload) values ($1)', [SCRATCH_PAYLOAD]);
      });
    });
  } finally {
    await client.exec('drop table bench_scratch');
  }
}

/**
 * RabbitMQ without Ordo: persistent messages the size of an envelope published on a confirm channel
 * (`concurrency` unconfirmed at once, as the outbox waits for confirms) to a quorum queue, consumed
 * with manual acks under the same prefetch. Throughput spans first publish to last ack; latency is
 * each message's publish → ack.
 */
async function rawAmqp(url: string, queue: string, params: Parameters): Promise<Baseline> {
  // noDelay: with Nagle's algorithm on (amqplib's default) each lone publish waits ~40 ms for the
  // broker's delayed ACK; the baseline is RabbitMQ at its best.
  const connection = await amqp.connect(url, { timeout: 5_000, noDelay: true });
  try {
    const publisher = await connection.createConfirmChannel();
    const consumer = await connection.createChannel();
    await consumer.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await consumer.prefetch(params.prefetch);

    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    let consumed = 0;
    let lastAck = 0;
    const { consumerTag } = await consumer.consume(queue, (message) => {
      if (!message) return;
      const { seq } = JSON.parse(message.content.toString('utf8')) as { seq: number };
      consumer.ack(message);
      lastAck = now();
      const sent = sentAt.get(seq);
      if (sent !== undefined) latencies.push(lastAck - sent);
      consumed++;
    });

    let seq = 0;
    const body = (n: number) =>
      Buffer.from(
        JSON.stringify({
          seq: n,
          id: newId(),
          type: 'probe.requested',
          tenant: null,
          aggregateId: newId(),
          occurredAt: new Date().toISOString(),
          attempt: 1,
          payload: PAYLOAD,
        }),
      );
    const publish = () =>
      new Promise<void>((resolve, reject) => {
        const n = seq++;
        sentAt.set(n, now());
        publisher.publish('', queue, body(n), { persistent: true, contentType: 'application/json' }, (error) =>
          error ? reject(error instanceof Error ? error : new Error('nacked')) : resolve(),
        );
      });

    try {
      const pushThrough = async (count: number): Promise<number> => {
        const target = consumed + count;
        latencies.length = 0;
        const start = now();
        await runConcurrently(count, params.concurrency, publish);
        await waitUntil(
          () => consumed >= target,
          params.timeoutMs,
          () => `${consumed} of ${target} consumed`,
        );
        return start;
      };
      await pushThrough(params.warmup);
      const start = await pushThrough(params.events);
      const loaded = measurement(params.events, lastAck - start, latencies);
      const idle: number[] = [];
      for (let i = 0; i < params.idleEvents; i++) {
        await pushThrough(1);
        idle.push(...latencies);
      }
      return { name: 'raw amqplib · quorum queue', ...loaded, idleLatencyMs: summarize(idle) };
    } finally {
      // Each step on its own: after a failure the channels may be gone, and the queue must still go.
      await withTimeout(consumer.cancel(consumerTag), 2_000, 'cancel').catch(() => undefined);
      await withTimeout(consumer.deleteQueue(queue), 2_000, 'delete').catch(() => undefined);
    }
  } finally {
    await withTimeout(connection.close(), 2_000, 'close').catch(() => undefined);
  }
}

// ─── Output ─────────────────────────────────────────────────────────────────────────────────────────

function printRows(rows: Row[]): void {
  const table = rows.map((row) => [
    row.adapter,
    formatNumber(row.bus?.perSecond),
    formatNumber(row.bus?.latencyMs.p50, 1),
    formatNumber(row.bus?.latencyMs.p99, 1),
    formatNumber(row.bus?.idleLatencyMs.p50, 1),
    formatNumber(row.bus?.idleLatencyMs.p99, 1),
    row.baseline?.name ?? `${row.status}: ${row.note ?? ''}`,
    formatNumber(row.baseline?.perSecond),
    formatNumber(row.ratio, 2),
  ]);
  console.log(
    formatTable(
      [
        { header: 'adapter' },
        { header: 'events/s', align: 'right' },
        { header: 'p50 ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
        { header: 'idle p50', align: 'right' },
        { header: 'idle p99', align: 'right' },
        { header: 'baseline' },
        { header: 'baseline/s', align: 'right' },
        { header: 'ratio', align: 'right' },
      ],
      table,
    ),
  );

  const baselines = rows.flatMap((row) => (row.baseline ? [row.baseline] : []));
  if (baselines.length > 0) {
    console.log('\nbaselines');
    console.log(
      formatTable(
        [
          { header: 'baseline' },
          { header: 'ops/s', align: 'right' },
          { header: 'p50 ms', align: 'right' },
          { header: 'p99 ms', align: 'right' },
          { header: 'idle p50', align: 'right' },
          { header: 'idle p99', align: 'right' },
        ],
        baselines.map((baseline) => [
          baseline.name,
          formatNumber(baseline.perSecond),
          formatNumber(baseline.latencyMs.p50, 1),
          formatNumber(baseline.latencyMs.p99, 1),
          formatNumber(baseline.idleLatencyMs.p50, 1),
          formatNumber(baseline.idleLatencyMs.p99, 1),
        ]),
      ),
    );
  }

  const notes = rows.flatMap((row) => {
    if (row.status !== 'ok' || !row.bus) return [];
    const { bus } = row;
    const warnings = [
      ...(bus.verified ? [] : ['some bus_probes rows were not handled exactly once']),
      ...(bus.duplicates > 0 ? [`${bus.duplicates} duplicate deliveries (absorbed by the inbox)`] : []),
    ];
    const spread = row.ratioRange
      ? `; ratio ${row.ratioRange[0]}–${row.ratioRange[1]} over ${row.rounds?.length} rounds`
      : '';
    return [
      `${row.adapter}: producers committed ${formatNumber(bus.committedPerSecond)}/s, ${Math.round(bus.handledWhileProducing * 100)}% handled meanwhile; relay published ${bus.relayBatches} batches of ${bus.meanRelayBatch} on average${spread}${warnings.map((w) => `; ${w}`).join('')}`,
    ];
  });
  if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
}
