// `npm run bench -- orders`: order intake over HTTP (`POST /api/tenants/:code/orders` → 202) and the
// asynchronous validation behind it (PENDING → AWAITING_PAYMENT), on the embedded and on the real
// infrastructure, each beside baselines measured in the same run on the same machine.
//
// Ordo runs in this process (MODE=all), as the e2e tests start it; the requests come from a worker thread
// (bench/http-load.ts), so client and server do not take turns on one event loop. A customer's order is
// one unit of one product with far more stock than the run can sell.
//
// "AWAITING_PAYMENT" is observed in the process, not polled: the inbox processor reports every handled
// delivery to its DeliveryObserver (the Metrics instance) right after the handler's transaction has
// committed, inside the message's context, whose request id is the one the order's POST was sent with.
// The benchmark wraps that observer, so it stamps the commit of each order's validation on the same
// monotonic clock as the 202.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { fastify } from 'fastify';
import type pg from 'pg';
import { startOrdo } from '../src/bootstrap.js';
import { newId } from '../src/common/ids.js';
import { currentContext } from '../src/common/request-context.js';
import { loadEnv } from '../src/config/load-env.js';
import { deleteRabbitTopology } from '../src/infra/bus/rabbit-bus.js';
import { migrate } from '../src/infra/database/migrator.js';
import { PgliteDatabase } from '../src/infra/database/pglite-database.js';
import { PostgresDatabase } from '../src/infra/database/postgres-database.js';
import type { SqlDatabase } from '../src/infra/database/sql-database.js';
import { TENANT_DATABASES, type TenantDatabases } from '../src/infra/database/tenant-databases.port.js';
import { METRICS, type Metrics } from '../src/infra/metrics/metrics.js';
import { ORDER_VALIDATOR } from '../src/modules/orders/order-validator.consumer.js';
import { ConsumerRegistry } from '../src/runtime/consumer-registry.js';
import { LoadClient, type HttpLoad, type HttpLoadResult } from './http-load.js';
import {
  benchLogger,
  createDatabase,
  deleteRedisKeys,
  describeError,
  dropDatabasesWithPrefix,
  envInt,
  formatNumber,
  formatTable,
  machineInfo,
  measurement,
  medianRound,
  now,
  progress,
  round,
  runConcurrently,
  serviceAnswers,
  serviceUrls,
  summarize,
  timeConcurrently,
  uniqueSuffix,
  waitUntil,
  writeResults,
  type LatencySummary,
  type Measurement,
} from './support.js';

interface Parameters {
  /** Orders (and raw SQL transactions; at least 5,000 echo requests) measured per round. */
  orders: number;
  /** Connections (requests in flight), and baseline transactions in flight. */
  connections: number;
  /** Sent first in every round and not measured: JIT, pools, caches warm up. */
  warmup: number;
  /** Orders placed one at a time, each validated before the next: the pipeline's own delay. */
  idleOrders: number;
  /** Rounds per row (baselines + Ordo); the round with the median ratio to raw SQL is reported. */
  rounds: number;
  /** How long to wait, after the last 202, for the last order to be validated; then the row fails. */
  timeoutMs: number;
}

function parameters(): Parameters {
  const orders = envInt('BENCH_ORDERS', 500);
  return {
    orders,
    connections: envInt('BENCH_CONNECTIONS', 64),
    warmup: envInt('BENCH_WARMUP', Math.min(200, Math.max(100, Math.floor(orders / 10)))),
    idleOrders: envInt('BENCH_IDLE_ORDERS', 50),
    rounds: envInt('BENCH_ROUNDS', 3),
    timeoutMs: envInt('BENCH_TIMEOUT_MS', 90_000),
  };
}

const SHOP = 'bench_shop';
/** Orders are spread over this many customers (request i is sent by customer i mod CUSTOMERS). */
const CUSTOMERS = 16;
const PASSWORD = 'a-long-enough-password';
const ADMIN = { email: 'admin@bench.test', password: 'admin-password-for-the-bench' };
/** Nothing fails, but the RabbitMQ topology is declared (and deleted) with these retry tiers. */
const RETRY_DELAYS_MS = [1_000];
/** A delivery-free pause this long means the consumers have worked off every backlog. */
const SETTLED_AFTER_MS = 500;
/**
 * The echo server answers in well under a millisecond, so a few hundred requests would time JIT
 * compilation and connection set-up rather than the server: it gets a longer warm-up and run.
 */
const ECHO_WARMUP = 2_000;
const ECHO_MIN_REQUESTS = 5_000;
const DROPOFF = { lat: 52.53, lng: 13.42, address: 'Torstraße 1, 10119 Berlin' };

interface OrdoMeasurement extends Measurement {
  /** Responses other than 202 (they count neither as orders nor in the latencies). */
  unexpected: number;
  /** 202 received → the validator's transaction committed (AWAITING_PAYMENT), under the load. */
  toAwaitingMs: LatencySummary;
  /** The same with one order in the system at a time. */
  idleToAwaitingMs: LatencySummary;
  /** Orders whose validation committed before their 202 had reached the client (counted as 0 ms). */
  validatedBeforeResponse: number;
  /** Orders ÷ (first request sent → last validation committed): end-to-end throughput. */
  validatedPerSecond: number;
  /**
   * Cross-check from the tenant database: AWAITING_PAYMENT's order_events `at` minus PENDING's. Both are
   * `now()`, the start of their transactions, so this leaves out the validator's own transaction.
   */
  eventStampsMs: LatencySummary;
  /** Status counts of the measured orders after the round; all AWAITING_PAYMENT when `verified`. */
  statuses: Record<string, number>;
  verified: boolean;
}

interface Baselines {
  /** Plain Fastify answering 202 with the request's JSON body, same body, headers and connections. */
  echo: Measurement;
  /** One transaction inserting an order, its item and an outbox row, `connections` in flight. */
  sql: Measurement;
}

interface RoundResult {
  ordo: OrdoMeasurement;
  baselines: Baselines;
  /** Ordo orders/s ÷ echo requests/s, and ÷ raw SQL transactions/s. */
  vsEcho: number;
  vsSql: number;
}

interface Row {
  setup: string;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  /** Names of the baselines' SQL side, for the table. */
  sqlBaseline?: string;
  result?: RoundResult;
  /** With BENCH_ROUNDS > 1: lowest and highest ratios over the rounds, and every round in full. */
  vsSqlRange?: [number, number];
  vsEchoRange?: [number, number];
  rounds?: RoundResult[];
}

export async function run(): Promise<void> {
  const startedAt = new Date();
  const params = parameters();
  const machine = machineInfo();
  console.log(
    `\norders benchmark — ${params.orders} orders per round, ${params.connections} connections, ${params.rounds} rounds, ` +
      `${machine.cpus} CPUs, Node ${machine.node}\n`,
  );
  const client = LoadClient.start();
  const rows: Row[] = [];
  try {
    for (const { setup, measure } of scenarios) {
      const row = await measure(setup, params, client).catch((error: unknown): Row => ({
        setup,
        status: 'failed',
        note: describeError(error),
      }));
      rows.push(row);
      if (row.status === 'failed') process.exitCode = 1;
    }
  } finally {
    await client.close();
  }
  printRows(rows);
  const path = writeResults('orders', startedAt, {
    benchmark: 'orders',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: machineInfo().loadAverage },
    parameters: { ...params, customers: CUSTOMERS },
    rows,
  });
  console.log(`\nresults: ${path}`);
}

// ─── Scenarios ──────────────────────────────────────────────────────────────────────────────────────

type Scenario = (setup: string, params: Parameters, client: LoadClient) => Promise<Row>;

const embeddedRow: Scenario = async (setup, params, client) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ordo-bench-'));
  try {
    progress(`${setup}: starting Ordo (DATA_DIR ${dataDir})`);
    const target = await startTarget(() => undefined, { DATA_DIR: dataDir });
    try {
      // The baseline's database: its own PGlite on disk beside Ordo's, with the tenant schema.
      const raw = await PgliteDatabase.open({ dataDir: join(dataDir, 'raw-sql') });
      try {
        await migrate(raw, 'tenant');
        return await measureRounds(setup, 'raw SQL order tx · PGlite', params, client, target, pgliteOrderTx(raw));
      } finally {
        await raw.close();
      }
    } finally {
      await target.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
};

const realRow: Scenario = async (setup, params, client) => {
  for (const [service, url] of Object.entries(serviceUrls)) {
    if (!(await serviceAnswers(url))) return skipped(setup, service, url);
  }
  // Names of our own, so nothing collides with a running Ordo, a test or another bench.
  const suffix = uniqueSuffix();
  const namespace = `ordo-bench-${suffix}`;
  const tenantPrefix = `ob${suffix}_`;
  const redisPrefix = `ordo-bench:${suffix}:`;
  let consumers: string[] = [];
  const control = await createDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'ordo-bench-'));
  try {
    progress(`${setup}: starting Ordo (database ${control.name}, namespace ${namespace})`);
    // The consumer names are recorded as soon as the app is up: a failure while populating it must not
    // leave the queues behind.
    const started = (names: string[]) => (consumers = names);
    const target = await startTarget(started, {
      DATA_DIR: dataDir,
      DATABASE_URL: control.url,
      DATABASE_PREFIX: tenantPrefix,
      RABBITMQ_URL: serviceUrls.rabbitmq,
      BUS_NAMESPACE: namespace,
      REDIS_URL: serviceUrls.redis,
      REDIS_KEY_PREFIX: redisPrefix,
    });
    try {
      const rawDatabase = await createDatabase();
      try {
        // The same number of connections as Ordo has to the tenant's database.
        const raw = new PostgresDatabase({
          url: rawDatabase.url,
          poolSize: target.tenantPoolSize,
          applicationName: 'ordo-bench',
        });
        try {
          await migrate(raw, 'tenant');
          const sqlBaseline = `raw SQL order tx · PostgreSQL (pool ${target.tenantPoolSize})`;
          return await measureRounds(setup, sqlBaseline, params, client, target, postgresOrderTx(raw.pool));
        } finally {
          await raw.close();
        }
      } finally {
        await rawDatabase.drop();
      }
    } finally {
      await target.close();
    }
  } finally {
    const cleanUp: [string, () => Promise<void>][] = [
      [
        `RabbitMQ namespace ${namespace}`,
        () => deleteRabbitTopology(serviceUrls.rabbitmq, namespace, consumers, RETRY_DELAYS_MS),
      ],
      [`Redis keys ${redisPrefix}*`, () => deleteRedisKeys(redisPrefix)],
      [`tenant databases ${tenantPrefix}*`, () => dropDatabasesWithPrefix(tenantPrefix)],
      [`database ${control.name}`, () => control.drop()],
    ];
    for (const [what, work] of cleanUp) {
      await work().catch((error: unknown) => progress(`could not remove ${what}: ${describeError(error)}`));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
};

const scenarios: { setup: string; measure: Scenario }[] = [
  { setup: 'embedded (PGlite, table bus, memory cache)', measure: embeddedRow },
  { setup: 'real (PostgreSQL, RabbitMQ, Redis)', measure: realRow },
];

function skipped(setup: string, service: string, url: string): Row {
  return { setup, status: 'skipped', note: `${service} not reachable at ${new URL(url).host}` };
}

/** Runs the rounds on one started Ordo and its baselines; the round with the median ratio to raw SQL stands. */
async function measureRounds(
  setup: string,
  sqlBaseline: string,
  params: Parameters,
  client: LoadClient,
  target: Target,
  orderTx: () => Promise<void>,
): Promise<Row> {
  const echo = await startEcho();
  try {
    const rounds: RoundResult[] = [];
    for (let index = 1; index <= params.rounds; index++) {
      const label = params.rounds > 1 ? `${setup}, round ${index} of ${params.rounds}` : setup;
      progress(`${label}: echo baseline`);
      const echoMeasurement = await measureEcho(echo.origin, target, params, client);
      progress(`${label}: raw SQL baseline`);
      await runConcurrently(params.warmup, params.connections, orderTx);
      const sqlMeasurement = await timeConcurrently(params.orders, params.connections, orderTx);
      progress(`${label}: ${params.orders} orders`);
      const ordo = await measureOrdo(target, params, client, index);
      rounds.push({
        ordo,
        baselines: { echo: echoMeasurement, sql: sqlMeasurement },
        vsEcho: round(ordo.perSecond / echoMeasurement.perSecond, 3),
        vsSql: round(ordo.perSecond / sqlMeasurement.perSecond, 3),
      });
    }
    const { median, range } = medianRound(rounds, (result) => result.vsSql);
    return {
      setup,
      status: 'ok',
      sqlBaseline,
      result: median,
      ...(rounds.length > 1
        ? { vsSqlRange: range, vsEchoRange: medianRound(rounds, (result) => result.vsEcho).range, rounds }
        : {}),
    };
  } finally {
    await echo.close();
  }
}

// ─── Ordo under test ────────────────────────────────────────────────────────────────────────────────

interface Target {
  url: string;
  /** The ready tenant's database, for the checks after each round. */
  tenantDb: SqlDatabase;
  tenantPoolSize: number;
  /** Bearer tokens of the customers, and the product they order. */
  customerTokens: string[];
  productId: string;
  /** Request id → when the validator's transaction for that request's order committed. */
  validatedAt: Map<string, number>;
  /** When the last delivery to any consumer finished. */
  lastDeliveryAt(): number;
  close(): Promise<void>;
}

/**
 * Starts Ordo with `infra` (plus what every run sets), tells `started` its consumer names, and makes a
 * ready tenant, a product and customers.
 */
async function startTarget(started: (consumers: string[]) => void, infra: Record<string, string>): Promise<Target> {
  const env = loadEnv({
    NODE_ENV: 'production',
    MODE: 'all',
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: randomBytes(32).toString('hex'),
    PAYMENTS_SANDBOX_SECRET: randomBytes(32).toString('hex'),
    // The bench pays through the sandbox, and its embedded row measures the embedded database on purpose.
    ALLOW_SANDBOX_PAYMENTS: 'true',
    ALLOW_EMBEDDED_DATABASE: 'true',
    PUBLIC_URL: 'http://127.0.0.1',
    ORDO_ADMIN_EMAIL: ADMIN.email,
    ORDO_ADMIN_PASSWORD: ADMIN.password,
    // One address signs up every customer; tokens must outlive a long run.
    AUTH_RATE_LIMIT: '1000000',
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    BUS_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
    ...infra,
  });
  const ordo = await startOrdo(env, { logger: benchLogger() });
  try {
    started(
      ordo.app
        .get(ConsumerRegistry)
        .subscriptions()
        .map((subscription) => subscription.consumer),
    );
    const validatedAt = new Map<string, number>();
    let lastDelivery = now();
    // See the comment at the top: the observer is called right after the handler's commit, in the
    // message's context (its request id is the POST's).
    const metrics = ordo.app.get<Metrics>(METRICS);
    const consumed = metrics.consumed.bind(metrics);
    metrics.consumed = (consumer, type, outcome) => {
      const at = now();
      lastDelivery = at;
      if (consumer === ORDER_VALIDATOR && outcome === 'handled') {
        const { requestId } = currentContext();
        if (requestId !== undefined && !validatedAt.has(requestId)) validatedAt.set(requestId, at);
      }
      consumed(consumer, type, outcome);
    };

    const url = ordo.url!;
    const { customerTokens, productId } = await populate(url);
    return {
      url,
      tenantDb: await ordo.app.get<TenantDatabases>(TENANT_DATABASES).forTenant(SHOP),
      tenantPoolSize: env.TENANT_POOL_SIZE,
      customerTokens,
      productId,
      validatedAt,
      lastDeliveryAt: () => lastDelivery,
      close: () => ordo.close(),
    };
  } catch (error) {
    await ordo.close();
    throw error;
  }
}

/** Through the public API, as the e2e tests do: a READY tenant, a product with ample stock, customers. */
async function populate(url: string): Promise<{ customerTokens: string[]; productId: string }> {
  const call = async (method: string, path: string, body: unknown, token: string | undefined, expected: number) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== expected) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const signIn = async (email: string, password: string) =>
    (await call('POST', '/api/auth/login', { email, password }, undefined, 200)).access_token as string;

  const admin = await signIn(ADMIN.email, ADMIN.password);
  const owner = { email: 'owner@bench-shop.test', password: PASSWORD, name: 'Bench shop owner' };
  await call(
    'POST',
    '/api/tenants',
    {
      code: SHOP,
      name: 'Bench shop',
      currency: 'EUR',
      pickup: { lat: 52.52, lng: 13.405, address: 'Alexanderplatz 1, 10178 Berlin' },
      owner,
    },
    admin,
    202,
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { status } = await call('GET', `/api/tenants/${SHOP}`, undefined, admin, 200);
    if (status === 'READY') break;
    if (Date.now() > deadline) throw new Error(`tenant ${SHOP} is still ${String(status)} after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const merchant = await signIn(owner.email, owner.password);
  const product = await call(
    'POST',
    `/api/tenants/${SHOP}/products`,
    { name: 'Bench espresso', price: 250, initialStock: 2_000_000_000 },
    merchant,
    201,
  );
  const customerTokens: string[] = [];
  for (let i = 0; i < CUSTOMERS; i++) {
    const body = { email: `customer${i}@bench.test`, password: PASSWORD, name: `Customer ${i}` };
    customerTokens.push((await call('POST', '/api/auth/register', body, undefined, 201)).access_token as string);
  }
  return { customerTokens, productId: product.id as string };
}

/** The request every order (and every echo) sends: one unit of the product, delivered nearby. */
function orderLoad(target: Target, origin: string, path: string, requests: number, connections: number): HttpLoad {
  return {
    origin,
    path,
    method: 'POST',
    body: JSON.stringify({ items: [{ productId: target.productId, quantity: 1 }], dropoff: DROPOFF }),
    headerSets: target.customerTokens.map((token) => ({
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
    })),
    requests,
    connections,
    expectStatus: 202,
  };
}

/**
 * Warm-up orders (waited for), then `orders` with `connections` in flight, waited for until every one
 * is validated, then `idleOrders` one at a time; and the database checks of the measured orders.
 */
async function measureOrdo(
  target: Target,
  params: Parameters,
  client: LoadClient,
  roundNumber: number,
): Promise<OrdoMeasurement> {
  const path = `/api/tenants/${SHOP}/orders`;
  // x-request-id must be 8–64 of [A-Za-z0-9._:-] for Ordo to keep it (else it makes its own).
  const ids = (phase: string) => `bench-r${roundNumber}-${phase}-`;
  const validated = (prefix: string, result: HttpLoadResult) =>
    result.status.every((status, i) => status !== 202 || target.validatedAt.has(`${prefix}${i}`));
  const waitValidated = async (prefix: string, result: HttpLoadResult) => {
    const pending = () => result.status.filter((s, i) => s === 202 && !target.validatedAt.has(`${prefix}${i}`));
    await waitUntil(
      () => validated(prefix, result),
      params.timeoutMs,
      () => `${pending().length} orders not validated`,
    );
  };

  const warmPrefix = ids('warm');
  const warm = await client.run({
    ...orderLoad(target, target.url, path, params.warmup, params.connections),
    requestIdPrefix: warmPrefix,
  });
  failOnUnexpected(warm);
  await waitValidated(warmPrefix, warm);
  await settle(target, params);

  const loadPrefix = ids('load');
  const load = await client.run({
    ...orderLoad(target, target.url, path, params.orders, params.connections),
    requestIdPrefix: loadPrefix,
    collectField: 'id',
  });
  await waitValidated(loadPrefix, load);
  const intake = loadMeasurement(load);
  let validatedBeforeResponse = 0;
  let lastValidated = 0;
  const toAwaiting: number[] = [];
  load.status.forEach((status, i) => {
    if (status !== 202) return;
    const at = target.validatedAt.get(`${loadPrefix}${i}`)!;
    lastValidated = Math.max(lastValidated, at);
    if (at < load.doneAt[i]!) validatedBeforeResponse++;
    toAwaiting.push(Math.max(0, at - load.doneAt[i]!));
  });
  const firstSent = load.sentAt.reduce((first, sent) => Math.min(first, sent), Number.POSITIVE_INFINITY);
  await settle(target, params);

  const idle: number[] = [];
  for (let i = 0; i < params.idleOrders; i++) {
    const prefix = ids(`idle${i}`);
    const one = await client.run({ ...orderLoad(target, target.url, path, 1, 1), requestIdPrefix: prefix });
    failOnUnexpected(one);
    await waitValidated(prefix, one);
    idle.push(Math.max(0, target.validatedAt.get(`${prefix}0`)! - one.doneAt[0]!));
  }
  await settle(target, params);

  const orderIds = load.collected.filter((id): id is string => id !== undefined);
  const { statuses, eventStamps } = await checkOrders(target.tenantDb, orderIds);
  return {
    ...intake,
    unexpected: load.unexpected,
    toAwaitingMs: summarize(toAwaiting),
    idleToAwaitingMs: summarize(idle),
    validatedBeforeResponse,
    validatedPerSecond: round(intake.operations / ((lastValidated - firstSent) / 1000), 1),
    eventStampsMs: summarize(eventStamps),
    statuses,
    verified: statuses.AWAITING_PAYMENT === orderIds.length && Object.keys(statuses).length === 1,
  };
}

/** What happened to the orders, and their PENDING → AWAITING_PAYMENT gap by the order_events stamps. */
async function checkOrders(
  db: SqlDatabase,
  orderIds: string[],
): Promise<{ statuses: Record<string, number>; eventStamps: number[] }> {
  const idArray = `{${orderIds.join(',')}}`;
  const counts = await db.query<{ status: string; n: number | string }>(
    sql`select status, count(*)::int as n from orders where id = any(${idArray}::uuid[]) group by status`,
  );
  const gaps = await db.query<{ ms: number | string }>(
    sql`select extract(epoch from (validated.at - placed.at)) * 1000 as ms
        from order_events placed
        join order_events validated
          on validated.order_id = placed.order_id and validated.to_status = 'AWAITING_PAYMENT'
        where placed.to_status = 'PENDING' and placed.order_id = any(${idArray}::uuid[])`,
  );
  return {
    statuses: Object.fromEntries(counts.map((row) => [row.status, Number(row.n)])),
    eventStamps: gaps.map((row) => Number(row.ms)),
  };
}

/**
 * Waits until no consumer has finished a delivery for SETTLED_AFTER_MS: the audit recorder and the cache
 * consumer work off their backlog before the next measurement, so it does not compete with it.
 */
async function settle(target: Target, params: Parameters): Promise<void> {
  await waitUntil(
    () => now() - target.lastDeliveryAt() >= SETTLED_AFTER_MS,
    params.timeoutMs,
    () => 'consumers still busy',
  );
}

// ─── Baselines ──────────────────────────────────────────────────────────────────────────────────────

/** Plain Fastify on the main thread (where Ordo's server runs), answering 202 with the parsed body. */
async function startEcho(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = fastify({ logger: false });
  server.post('/echo', async (request, reply) => reply.code(202).send(request.body));
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { origin: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/** The same requests (body, headers, connections) as the orders, against the echo server. */
async function measureEcho(
  origin: string,
  target: Target,
  params: Parameters,
  client: LoadClient,
): Promise<Measurement> {
  const load = (requests: number) => ({
    ...orderLoad(target, origin, '/echo', requests, params.connections),
    requestIdPrefix: 'bench-echo-',
  });
  failOnUnexpected(await client.run(load(Math.max(params.warmup, ECHO_WARMUP))));
  const result = await client.run(load(Math.max(params.orders, ECHO_MIN_REQUESTS)));
  failOnUnexpected(result);
  return loadMeasurement(result);
}

/** The rows Ordo's intake writes, without Ordo: an order, its one item, and an outbox row, in one transaction. */
function orderRows() {
  const orderId = newId();
  const customerId = newId();
  return {
    order: [orderId, customerId, DROPOFF.lat, DROPOFF.lng, DROPOFF.address],
    item: [orderId, newId()],
    outbox: [
      newId(),
      SHOP,
      orderId,
      JSON.stringify({ orderId, customerId, before: null, after: { status: 'PENDING', items: 1 } }),
      JSON.stringify({ actorId: customerId, actorRole: 'CUSTOMER', ip: '127.0.0.1', requestId: newId() }),
    ],
  };
}

const INSERT_ORDER = `insert into orders (id, customer_id, status, currency, dropoff_lat, dropoff_lng, dropoff_address)
  values ($1, $2, 'PENDING', 'EUR', $3, $4, $5)`;
const INSERT_ITEM = 'insert into order_items (order_id, line, product_id, quantity) values ($1, 0, $2, 1)';
const INSERT_OUTBOX = `insert into outbox (id, type, tenant, aggregate_id, payload, meta)
  values ($1, 'order.placed', $2, $3, $4, $5)`;

function postgresOrderTx(pool: pg.Pool): () => Promise<void> {
  return async () => {
    const rows = orderRows();
    const connection = await pool.connect();
    try {
      await connection.query('begin');
      await connection.query(INSERT_ORDER, rows.order);
      await connection.query(INSERT_ITEM, rows.item);
      await connection.query(INSERT_OUTBOX, rows.outbox);
      await connection.query('commit');
    } catch (error) {
      await connection.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      connection.release();
    }
  };
}

/** The same through PGlite's own client (one transaction at a time, as Ordo's embedded database). */
function pgliteOrderTx(database: PgliteDatabase): () => Promise<void> {
  return async () => {
    const rows = orderRows();
    await database.client.transaction(async (tx) => {
      await tx.query(INSERT_ORDER, rows.order);
      await tx.query(INSERT_ITEM, rows.item);
      await tx.query(INSERT_OUTBOX, rows.outbox);
    });
  };
}

// ─── Load results ───────────────────────────────────────────────────────────────────────────────────

/** 202 responses ÷ (first request sent → last response), and each 202's latency. */
function loadMeasurement(result: HttpLoadResult): Measurement {
  const latencies: number[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  result.status.forEach((status, i) => {
    first = Math.min(first, result.sentAt[i]!);
    last = Math.max(last, result.doneAt[i]!);
    if (status === 202) latencies.push(result.doneAt[i]! - result.sentAt[i]!);
  });
  return measurement(latencies.length, last - first, latencies);
}

function failOnUnexpected(result: HttpLoadResult): void {
  if (result.unexpected > 0) {
    throw new Error(`${result.unexpected} unexpected responses, e.g. ${result.samples.join(' | ')}`);
  }
}

// ─── Output ─────────────────────────────────────────────────────────────────────────────────────────

function printRows(rows: Row[]): void {
  console.log(
    formatTable(
      [
        { header: 'setup' },
        { header: 'orders/s', align: 'right' },
        { header: 'p50 ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
        { header: '→AWAITING p50', align: 'right' },
        { header: '→AWAITING p99', align: 'right' },
        { header: 'idle p50', align: 'right' },
        { header: 'idle p99', align: 'right' },
        { header: '÷ echo', align: 'right' },
        { header: '÷ raw SQL', align: 'right' },
      ],
      rows.map((row) => {
        const ordo = row.result?.ordo;
        if (!ordo) return [row.setup, row.status];
        return [
          row.setup,
          formatNumber(ordo.perSecond),
          formatNumber(ordo.latencyMs.p50, 1),
          formatNumber(ordo.latencyMs.p99, 1),
          formatNumber(ordo.toAwaitingMs.p50, 1),
          formatNumber(ordo.toAwaitingMs.p99, 1),
          formatNumber(ordo.idleToAwaitingMs.p50, 1),
          formatNumber(ordo.idleToAwaitingMs.p99, 1),
          formatNumber(row.result?.vsEcho, 3),
          formatNumber(row.result?.vsSql, 3),
        ];
      }),
    ),
  );

  const baselines = rows.flatMap((row) =>
    row.result
      ? [
          ['Fastify echo (202, same body)', row.result.baselines.echo] as const,
          [row.sqlBaseline ?? 'raw SQL order tx', row.result.baselines.sql] as const,
        ].map(([name, figures]) => [
          name,
          formatNumber(figures.perSecond),
          formatNumber(figures.latencyMs.p50, 1),
          formatNumber(figures.latencyMs.p99, 1),
        ])
      : [],
  );
  if (baselines.length > 0) {
    console.log('\nbaselines (same run, same row)');
    console.log(
      formatTable(
        [
          { header: 'baseline' },
          { header: 'ops/s', align: 'right' },
          { header: 'p50 ms', align: 'right' },
          { header: 'p99 ms', align: 'right' },
        ],
        baselines,
      ),
    );
  }

  const notes = rows.flatMap((row) => {
    const ordo = row.result?.ordo;
    if (row.status !== 'ok' || !ordo) return [`${row.setup}: ${row.status}: ${row.note ?? ''}`];
    const spread =
      row.vsSqlRange && row.vsEchoRange
        ? `; ÷ raw SQL ${row.vsSqlRange[0]}–${row.vsSqlRange[1]}, ÷ echo ${row.vsEchoRange[0]}–${row.vsEchoRange[1]} over ${row.rounds?.length} rounds`
        : '';
    const warnings = [
      ...(ordo.verified ? [] : [`not all AWAITING_PAYMENT: ${JSON.stringify(ordo.statuses)}`]),
      ...(ordo.unexpected > 0 ? [`${ordo.unexpected} responses other than 202`] : []),
    ];
    return [
      `${row.setup}: validated ${formatNumber(ordo.validatedPerSecond)}/s end to end; ` +
        `${Math.round((ordo.validatedBeforeResponse / Math.max(1, ordo.operations)) * 100)}% validated before their 202 arrived; ` +
        `order_events stamps PENDING → AWAITING_PAYMENT p50 ${formatNumber(ordo.eventStampsMs.p50, 1)} ms, p99 ${formatNumber(ordo.eventStampsMs.p99, 1)} ms` +
        `${spread}${warnings.map((warning) => `; ${warning}`).join('')}`,
    ];
  });
  if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
}
