// `npm run bench -- flow`: the complete order as a customer lives it — POST the order, wait until it
// awaits payment, press Pay on the sandbox checkout, wait until it is PAID — in a closed loop of customers,
// against a running Ordo (one process, MODE=all) on the real services and embedded. Per paid order it
// counts PostgreSQL commits (pg_stat_database.xact_commit, control and tenant databases; the adapters'
// own counters too, with where each commit went), SQL statements (the adapters' counter) and Ordo's CPU
// time (/proc/<pid>/stat), beside a raw SQL order transaction measured in the same run.
//
// Customers learn about their order from the realtime socket (`order.status`, whose AWAITING_PAYMENT push
// carries the checkout link), as a customer app would: the loop itself reads nothing from the database.
// Dispatch is kept out of the window: no driver is online, and DISPATCH_RETRY_DELAYS_MS is an hour, so
// after the first search round (part of the order's cost: the `dispatcher` consumer's commit) no retry
// round runs while measuring.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { PGlite } from '@electric-sql/pglite';
import '../src/app.module.js'; // every feature module, so every @Consumer is known (for the cleanup)
import { declaredConsumers } from '../src/infra/bus/consumer.js';
import { deleteRabbitTopology } from '../src/infra/bus/rabbit-bus.js';
import { customer, readyTenant, type Person } from '../test/support/people.js';
import { startOrdoProcess, stopAllProcesses, type OrdoProcess } from '../test/support/processes.js';
import {
  createDatabase,
  deleteRedisKeys,
  describeError,
  dropDatabasesWithPrefix,
  envInt,
  formatNumber,
  formatTable,
  machineInfo,
  now,
  progress,
  round,
  serviceAnswers,
  serviceUrls,
  summarize,
  uniqueSuffix,
  withAdmin,
  writeResults,
  type LatencySummary,
} from './support.js';

const SHOP = 'flow_shop';
const DROPOFF = { lat: 52.53, lng: 13.42, address: 'Torstraße 1, 10119 Berlin' };
/** Nothing fails; the RabbitMQ topology is declared (and deleted) with these tiers. */
const RETRY_DELAYS_MS = [1_000, 5_000];
const CLOCK_TICKS_PER_SECOND = 100;

interface Parameters {
  /** Paid orders measured per in-flight level, after the warm-up. */
  orders: number;
  warmup: number;
  inFlight: number[];
  /** Orders placed one at a time for the idle latency (POST → AWAITING_PAYMENT). */
  idleOrders: number;
  /** Orders posted for the intake-only measure (POST → 202), at the highest in-flight level. */
  intakeOrders: number;
  /** Seconds of raw SQL order transactions per baseline. */
  baselineSeconds: number;
  timeoutMs: number;
}

function parameters(): Parameters {
  return {
    orders: envInt('BENCH_FLOW_ORDERS', 400),
    warmup: envInt('BENCH_FLOW_WARMUP', 64),
    inFlight: (process.env.BENCH_FLOW_IN_FLIGHT ?? '16,64').split(',').map((part) => Number(part.trim())),
    idleOrders: envInt('BENCH_IDLE_ORDERS', 30),
    intakeOrders: envInt('BENCH_FLOW_INTAKE_ORDERS', 1_000),
    baselineSeconds: envInt('BENCH_FLOW_BASELINE_SECONDS', 5),
    timeoutMs: envInt('BENCH_TIMEOUT_MS', 60_000),
  };
}

type RowKind = 'real' | 'table' | 'embedded';

interface Counters {
  at: number;
  cpuMs: number;
  /** pg_stat_database.xact_commit, summed per role (PostgreSQL rows only). */
  pgCommits?: { control: number; tenant: number };
  /** From the adapters (ordo_db_*), keyed `role:origin`. */
  statements: Record<string, number>;
  commits: Record<string, number>;
}

interface LevelResult {
  inFlight: number;
  orders: number;
  perSecond: number;
  postToPaidMs: LatencySummary;
  perOrder: {
    commits: { control: number; tenant: number; total: number; source: 'pg_stat_database' | 'adapter' };
    statements: { control: number; tenant: number; total: number };
    cpuMs: number;
    /** Commits and statements by what they were for (adapter counters, `role:origin`), per paid order. */
    commitsByOrigin: Record<string, number>;
    statementsByOrigin: Record<string, number>;
  };
  baseline: { perSecond: number; ratio: number };
}

interface RowResult {
  row: string;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  levels: LevelResult[];
  intake?: { perSecond: number; latencyMs: LatencySummary; baselinePerSecond: number; ratio: number };
  idleToAwaitingMs?: LatencySummary;
}

// ─── A customer with a socket ───────────────────────────────────────────────────────────────────────

/** A signed-in customer whose socket tells it when each of its orders reaches a status. */
class Customer {
  private readonly waiting = new Map<string, { status: string; resolve: (payload: StatusPush) => void }>();
  private readonly seen = new Map<string, StatusPush[]>();

  private constructor(
    readonly person: Person,
    private readonly socket: Socket,
  ) {
    socket.on('order.status', (payload: StatusPush) => {
      const list = this.seen.get(payload.orderId) ?? [];
      list.push(payload);
      this.seen.set(payload.orderId, list);
      const waiter = this.waiting.get(payload.orderId);
      if (waiter && waiter.status === payload.status) {
        this.waiting.delete(payload.orderId);
        waiter.resolve(payload);
      }
    });
  }

  static async connect(baseUrl: string, person: Person): Promise<Customer> {
    const socket = io(`${baseUrl}/realtime`, {
      auth: { token: person.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return new Customer(person, socket);
  }

  /** Resolves with the push that `orderId` reached `status` (already seen, or still to come). */
  until(orderId: string, status: string, timeoutMs: number): Promise<StatusPush> {
    const already = this.seen.get(orderId)?.find((push) => push.status === status);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(orderId);
        reject(new Error(`order ${orderId} did not reach ${status} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(orderId, {
        status,
        resolve: (payload) => {
          clearTimeout(timer);
          resolve(payload);
        },
      });
    });
  }

  forget(orderId: string): void {
    this.seen.delete(orderId);
  }

  close(): void {
    this.socket.close();
  }
}

interface StatusPush {
  orderId: string;
  status: string;
  payment?: { checkoutUrl: string };
}

// ─── One order, the customer's way ──────────────────────────────────────────────────────────────────

async function placeOrder(api: OrdoProcess, shopper: Customer, productId: string): Promise<string> {
  const response = await api.request(`/api/tenants/${SHOP}/orders`, {
    method: 'POST',
    json: { items: [{ productId, quantity: 1 }], dropoff: DROPOFF },
    as: shopper.person.token,
  });
  const body = (await response.json()) as { id?: string };
  if (response.status !== 202 || !body.id)
    throw new Error(`POST order answered ${response.status}: ${JSON.stringify(body)}`);
  return body.id;
}

/** POST → AWAITING_PAYMENT (push with the checkout link) → Pay → PAID (push); resolves with POST → PAID ms. */
async function payOrder(api: OrdoProcess, shopper: Customer, productId: string, timeoutMs: number): Promise<number> {
  const started = now();
  const orderId = await placeOrder(api, shopper, productId);
  const awaiting = await shopper.until(orderId, 'AWAITING_PAYMENT', timeoutMs);
  const checkout = awaiting.payment?.checkoutUrl;
  if (!checkout) throw new Error(`the AWAITING_PAYMENT push of ${orderId} carries no checkout link`);
  const paid = shopper.until(orderId, 'PAID', timeoutMs);
  const pressed = await api.request(`${new URL(checkout).pathname}/pay`, { method: 'POST', as: null });
  if (pressed.status !== 200) throw new Error(`Pay answered ${pressed.status}: ${await pressed.text()}`);
  await paid;
  shopper.forget(orderId);
  return now() - started;
}

/** `slots` customers each paying order after order until `total` orders are paid; latencies of each. */
async function closedLoop(
  api: OrdoProcess,
  shoppers: Customer[],
  productId: string,
  total: number,
  timeoutMs: number,
): Promise<number[]> {
  const latencies: number[] = [];
  let started = 0;
  await Promise.all(
    shoppers.map(async (shopper) => {
      while (started < total) {
        started += 1;
        latencies.push(await payOrder(api, shopper, productId, timeoutMs));
      }
    }),
  );
  return latencies;
}

// ─── What Ordo spent ────────────────────────────────────────────────────────────────────────────────

function cpuMsOf(pid: number): number {
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Prometheus text → the samples of one metric, keyed by their label set. */
function samples(text: string, metric: string): { labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`))
    .map((line) => {
      const [, labelText = '', value = '0'] = /^[^{]+\{(.*)\} (\S+)$/.exec(line) ?? [];
      const labels = Object.fromEntries(
        [...labelText.matchAll(/(\w+)="([^"]*)"/g)].map(([, key, label]) => [key!, label!] as const),
      );
      return { labels, value: Number(value) };
    });
}

async function counters(
  api: OrdoProcess,
  databases: { controlDatabase?: string; tenantPrefix?: string },
): Promise<Counters> {
  const metrics = await (await api.request('/metrics', { as: null })).text();
  const byRoleAndOrigin = (name: string) => {
    const counts: Record<string, number> = {};
    for (const { labels, value } of samples(metrics, name)) {
      const key = `${labels.role}:${labels.origin}`;
      counts[key] = (counts[key] ?? 0) + value;
    }
    return counts;
  };
  const statements = byRoleAndOrigin('ordo_db_statements_total');
  const commits = byRoleAndOrigin('ordo_db_commits_total');
  let pgCommits: Counters['pgCommits'];
  if (databases.controlDatabase) {
    pgCommits = await withAdmin(async (admin) => {
      const { rows } = await admin.query<{ datname: string; xact_commit: string }>(
        `select datname, xact_commit from pg_stat_database where datname = $1 or starts_with(datname, $2)`,
        [databases.controlDatabase, databases.tenantPrefix],
      );
      const sum = { control: 0, tenant: 0 };
      for (const row of rows) {
        sum[row.datname === databases.controlDatabase ? 'control' : 'tenant'] += Number(row.xact_commit);
      }
      return sum;
    });
  }
  return { at: now(), cpuMs: cpuMsOf(api.pid), statements, commits, ...(pgCommits ? { pgCommits } : {}) };
}

/**
 * PostgreSQL publishes a backend's counters to pg_stat_database at most once a second while it is busy
 * (and within ~10 s once idle): waiting that long after a phase lets both ends of a window be read alike.
 */
const PG_STATS_SETTLE_MS = 1_500;

function perOrder(before: Counters, after: Counters, orders: number): LevelResult['perOrder'] {
  const per = (value: number) => round(value / orders, 2);
  const perOrigin = (field: 'commits' | 'statements') => {
    const counts: Record<string, number> = {};
    for (const key of new Set([...Object.keys(before[field]), ...Object.keys(after[field])])) {
      const delta = (after[field][key] ?? 0) - (before[field][key] ?? 0);
      if (delta > 0) counts[key] = per(delta);
    }
    return counts;
  };
  const byRole = (counts: Record<string, number>) => {
    const sums = { control: 0, tenant: 0 };
    for (const [key, value] of Object.entries(counts)) sums[key.startsWith('tenant') ? 'tenant' : 'control'] += value;
    return { control: round(sums.control, 2), tenant: round(sums.tenant, 2) };
  };
  const byOrigin = perOrigin('commits');
  const statementsByOrigin = perOrigin('statements');
  const adapterCommits = byRole(byOrigin);
  const commits =
    before.pgCommits && after.pgCommits
      ? {
          control: per(after.pgCommits.control - before.pgCommits.control),
          tenant: per(after.pgCommits.tenant - before.pgCommits.tenant),
          source: 'pg_stat_database' as const,
        }
      : {
          control: adapterCommits.control,
          tenant: adapterCommits.tenant,
          source: 'adapter' as const,
        };
  const statements = byRole(statementsByOrigin);
  return {
    commits: { ...commits, total: round(commits.control + commits.tenant, 2) },
    statements: { ...statements, total: round(statements.control + statements.tenant, 2) },
    cpuMs: per(after.cpuMs - before.cpuMs),
    commitsByOrigin: byOrigin,
    statementsByOrigin,
  };
}

// ─── Baseline: the raw SQL order transaction ───────────────────────────────────────────────────────

const BASELINE_SCHEMA = [
  'create table if not exists bench_orders (id uuid primary key, customer uuid not null, status text not null, total int, created_at timestamptz not null default now())',
  'create table if not exists bench_items (order_id uuid not null, line int not null, product uuid not null, quantity int not null, primary key (order_id, line))',
  'create table if not exists bench_stock (product uuid primary key, on_hand int not null, reserved int not null default 0)',
  'create table if not exists bench_outbox (id uuid primary key, type text not null, payload jsonb not null, occurred_at timestamptz not null default now())',
];
const BASELINE_PRODUCT = '00000000-0000-4000-8000-000000000001';

/** One order's write: the order, its line, the stock held, its event: what intake plus validation must commit. */
function baselineStatements(): [string, unknown[]][] {
  const order = crypto.randomUUID();
  return [
    [
      'insert into bench_orders (id, customer, status, total) values ($1, $2, $3, $4)',
      [order, crypto.randomUUID(), 'PENDING', 1250],
    ],
    ['insert into bench_items values ($1, 1, $2, 1)', [order, BASELINE_PRODUCT]],
    [
      'update bench_stock set reserved = reserved + 1 where product = $1 and reserved + 1 <= on_hand',
      [BASELINE_PRODUCT],
    ],
    [
      'insert into bench_outbox (id, type, payload) values ($1, $2, $3)',
      [crypto.randomUUID(), 'order.placed', JSON.stringify({ order })],
    ],
  ];
}

async function postgresBaseline(url: string, inFlight: number, seconds: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: inFlight });
  try {
    for (const statement of BASELINE_SCHEMA) await pool.query(statement);
    await pool.query(`insert into bench_stock values ($1, 1000000000, 0) on conflict do nothing`, [BASELINE_PRODUCT]);
    let done = 0;
    const until = now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (now() < until) {
          const client = await pool.connect();
          try {
            await client.query('begin');
            for (const [text, values] of baselineStatements()) await client.query(text, values);
            await client.query('commit');
            done += 1;
          } finally {
            client.release();
          }
        }
      }),
    );
    return done / seconds;
  } finally {
    for (const table of ['bench_orders', 'bench_items', 'bench_stock', 'bench_outbox'])
      await pool.query(`drop table if exists ${table}`);
    await pool.end();
  }
}

async function pgliteBaseline(seconds: number): Promise<number> {
  const db = await PGlite.create();
  try {
    for (const statement of BASELINE_SCHEMA) await db.exec(statement);
    await db.query(`insert into bench_stock values ($1, 1000000000, 0)`, [BASELINE_PRODUCT]);
    let done = 0;
    const until = now() + seconds * 1000;
    while (now() < until) {
      await db.transaction(async (tx) => {
        for (const [text, values] of baselineStatements()) await tx.query(text, values);
      });
      done += 1;
    }
    return done / seconds;
  } finally {
    await db.close();
  }
}

// ─── One row ────────────────────────────────────────────────────────────────────────────────────────

interface Deployment {
  api: OrdoProcess;
  controlDatabase?: string;
  tenantPrefix?: string;
  baseline(inFlight: number): Promise<number>;
  cleanup(): Promise<void>;
}

async function deploy(kind: RowKind, params: Parameters): Promise<Deployment> {
  const suffix = uniqueSuffix();
  // BENCH_FLOW_PROFILE=<dir>: Ordo writes a V8 CPU profile there when it stops (see bench/profile-summary.ts).
  const profileDir = process.env.BENCH_FLOW_PROFILE;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const common = {
    MODE: 'all',
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT: '1000000',
    // No driver is ever online: the first search round runs, its retries an hour later, outside the window.
    DISPATCH_RETRY_DELAYS_MS: '3600000',
    BUS_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
  };
  if (kind === 'embedded') {
    const dataDir = mkdtempSync(join(tmpdir(), 'ordo-bench-flow-'));
    const api = await startOrdoProcess(
      { ...common, DATA_DIR: dataDir },
      { label: 'flow embedded', readyTimeoutMs: 120_000, nodeArgs },
    );
    return {
      api,
      baseline: () => pgliteBaseline(params.baselineSeconds),
      cleanup: async () => {
        await api.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const database = await createDatabase();
  const tenantPrefix = `fb${suffix.replace(/[^a-z0-9]/g, '')}_`.slice(0, 20);
  const redisPrefix = `ordo-bench:${suffix}:`;
  const namespace = `ordo-bench-${suffix}`;
  const env: Record<string, string> = {
    ...common,
    DATABASE_URL: database.url,
    DATABASE_PREFIX: tenantPrefix,
    REDIS_URL: serviceUrls.redis,
    REDIS_KEY_PREFIX: redisPrefix,
  };
  if (kind === 'real') Object.assign(env, { RABBITMQ_URL: serviceUrls.rabbitmq, BUS_NAMESPACE: namespace });
  const api = await startOrdoProcess(env, { label: `flow ${kind}`, readyTimeoutMs: 120_000, nodeArgs });
  return {
    api,
    controlDatabase: database.name,
    tenantPrefix,
    baseline: (inFlight) => postgresBaseline(database.url, inFlight, params.baselineSeconds),
    cleanup: async () => {
      await api.stop();
      if (kind === 'real') {
        const consumers = declaredConsumers().map((consumer) => consumer.name);
        await deleteRabbitTopology(serviceUrls.rabbitmq, namespace, consumers, RETRY_DELAYS_MS).catch(() => undefined);
      }
      await deleteRedisKeys(redisPrefix).catch(() => undefined);
      await dropDatabasesWithPrefix(tenantPrefix).catch(() => undefined);
      await database.drop();
    },
  };
}

async function runRow(kind: RowKind, label: string, params: Parameters): Promise<RowResult> {
  if (kind !== 'embedded') {
    for (const [service, url] of Object.entries({ postgres: serviceUrls.postgres, redis: serviceUrls.redis })) {
      if (!(await serviceAnswers(url)))
        return { row: label, status: 'skipped', note: `${service} not reachable`, levels: [] };
    }
    if (kind === 'real' && !(await serviceAnswers(serviceUrls.rabbitmq))) {
      return { row: label, status: 'skipped', note: 'rabbitmq not reachable', levels: [] };
    }
  }
  progress(`${label}: starting Ordo`);
  const deployment = await deploy(kind, params);
  const { api } = deployment;
  const shoppers: Customer[] = [];
  try {
    const merchant = await readyTenant(api, SHOP);
    const product = await api.request(`/api/tenants/${SHOP}/products`, {
      method: 'POST',
      json: { name: 'Bench coffee', price: 1250, initialStock: 1_000_000_000 },
      as: merchant.token,
    });
    const { id: productId } = (await product.json()) as { id: string };
    for (let i = 0; i < Math.max(...params.inFlight); i++)
      shoppers.push(await Customer.connect(api.url!, await customer(api, `flow${i}`)));

    progress(`${label}: idle latency, ${params.idleOrders} orders one at a time`);
    const idle: number[] = [];
    for (let i = 0; i < params.idleOrders; i++) {
      const started = now();
      const orderId = await placeOrder(api, shoppers[0]!, productId);
      await shoppers[0]!.until(orderId, 'AWAITING_PAYMENT', params.timeoutMs);
      idle.push(now() - started);
      shoppers[0]!.forget(orderId);
    }

    const levels: LevelResult[] = [];
    for (const inFlight of params.inFlight) {
      const slots = shoppers.slice(0, inFlight);
      progress(`${label}: ${inFlight} in flight, ${params.warmup} orders of warm-up`);
      await closedLoop(api, slots, productId, params.warmup, params.timeoutMs);
      await new Promise((resolve) => setTimeout(resolve, PG_STATS_SETTLE_MS));
      const before = await counters(api, deployment);
      progress(`${label}: ${inFlight} in flight, ${params.orders} paid orders measured`);
      const latencies = await closedLoop(api, slots, productId, params.orders, params.timeoutMs);
      const elapsedMs = now() - before.at;
      await new Promise((resolve) => setTimeout(resolve, PG_STATS_SETTLE_MS));
      const after = await counters(api, deployment);
      progress(`${label}: raw SQL order transactions, ${inFlight} in flight`);
      const baseline = await deployment.baseline(inFlight);
      const perSecond = round((params.orders * 1000) / elapsedMs, 1);
      levels.push({
        inFlight,
        orders: params.orders,
        perSecond,
        postToPaidMs: summarize(latencies),
        perOrder: perOrder(before, after, params.orders),
        baseline: { perSecond: round(baseline, 0), ratio: round(perSecond / baseline, 3) },
      });
    }

    const most = Math.max(...params.inFlight);
    progress(`${label}: intake alone, ${params.intakeOrders} orders at ${most} in flight`);
    const intakeLatencies: number[] = [];
    let next = 0;
    const intakeStarted = now();
    await Promise.all(
      shoppers.slice(0, most).map(async (shopper) => {
        while (next < params.intakeOrders) {
          next += 1;
          const started = now();
          await placeOrder(api, shopper, productId);
          intakeLatencies.push(now() - started);
        }
      }),
    );
    const intakePerSecond = (params.intakeOrders * 1000) / (now() - intakeStarted);
    const intakeBaseline = await deployment.baseline(most);
    return {
      row: label,
      status: 'ok',
      levels,
      idleToAwaitingMs: summarize(idle),
      intake: {
        perSecond: round(intakePerSecond, 0),
        latencyMs: summarize(intakeLatencies),
        baselinePerSecond: round(intakeBaseline, 0),
        ratio: round(intakePerSecond / intakeBaseline, 3),
      },
    };
  } catch (error) {
    progress(`${label}: failed: ${describeError(error)}`);
    return { row: label, status: 'failed', note: describeError(error), levels: [] };
  } finally {
    for (const shopper of shoppers) shopper.close();
    await deployment.cleanup().catch((error: unknown) => progress(`cleanup: ${describeError(error)}`));
    await stopAllProcesses();
  }
}

// ─── Output ─────────────────────────────────────────────────────────────────────────────────────────

function print(rows: RowResult[]): void {
  const table = rows.flatMap((row) =>
    row.status !== 'ok'
      ? [[row.row, '', `${row.status}: ${row.note ?? ''}`, '', '', '', '', '', '', '', '']]
      : row.levels.map((level) => [
          row.row,
          String(level.inFlight),
          formatNumber(level.perSecond, 1),
          formatNumber(level.postToPaidMs.p50, 0),
          formatNumber(level.postToPaidMs.p99, 0),
          `${formatNumber(level.perOrder.commits.total, 1)} (${formatNumber(level.perOrder.commits.control, 1)} / ${formatNumber(level.perOrder.commits.tenant, 1)})`,
          `${formatNumber(level.perOrder.statements.total, 0)} (${formatNumber(level.perOrder.statements.control, 0)} / ${formatNumber(level.perOrder.statements.tenant, 0)})`,
          formatNumber(level.perOrder.cpuMs, 1),
          formatNumber(level.baseline.perSecond),
          formatNumber(level.baseline.ratio, 3),
          level.perOrder.commits.source === 'pg_stat_database' ? 'pg_stat' : 'adapter',
        ]),
  );
  console.log(
    formatTable(
      [
        { header: 'row' },
        { header: 'in flight', align: 'right' },
        { header: 'paid/s', align: 'right' },
        { header: 'p50 ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
        { header: 'commits/order (ctl / tnt)', align: 'right' },
        { header: 'statements/order (ctl / tnt)', align: 'right' },
        { header: 'CPU ms/order', align: 'right' },
        { header: 'raw SQL tx/s', align: 'right' },
        { header: 'ratio', align: 'right' },
        { header: 'commits from' },
      ],
      table,
    ),
  );
  for (const row of rows.filter((r) => r.status === 'ok')) {
    const intake = row.intake!;
    console.log(
      `\n${row.row}: intake alone ${formatNumber(intake.perSecond)} orders/s (p50 ${formatNumber(intake.latencyMs.p50, 1)} ms, p99 ${formatNumber(intake.latencyMs.p99, 1)} ms), ${formatNumber(intake.ratio, 2)} of raw SQL (${formatNumber(intake.baselinePerSecond)}/s); idle POST → AWAITING_PAYMENT p50 ${formatNumber(row.idleToAwaitingMs!.p50, 1)} ms, p99 ${formatNumber(row.idleToAwaitingMs!.p99, 1)} ms`,
    );
    for (const level of row.levels) {
      const listed = (counts: Record<string, number>) =>
        Object.entries(counts)
          .filter(([, value]) => value >= 0.01)
          .sort(([, a], [, b]) => b - a)
          .map(([origin, value]) => `${origin} ${formatNumber(value, 2)}`)
          .join(', ');
      console.log(`  at ${level.inFlight} in flight, per paid order by origin (adapter counters):`);
      console.log(`    commits: ${listed(level.perOrder.commitsByOrigin)}`);
      console.log(`    statements: ${listed(level.perOrder.statementsByOrigin)}`);
    }
  }
}

export async function run(): Promise<void> {
  const params = parameters();
  const startedAt = new Date();
  console.log(
    `\nflow benchmark — POST → AWAITING_PAYMENT → Pay → PAID, closed loop at ${params.inFlight.join(' and ')} in flight, ${params.orders} paid orders each, ${machineInfo().cpus} CPUs\n`,
  );
  const rows: RowResult[] = [];
  const wanted = (process.env.BENCH_FLOW_ROWS ?? 'real,table,embedded').split(',');
  const labels: Record<RowKind, string> = {
    real: 'PostgreSQL + RabbitMQ + Redis',
    table: 'PostgreSQL + table bus + Redis',
    embedded: 'embedded (PGlite, table bus)',
  };
  for (const kind of ['real', 'table', 'embedded'] as const) {
    if (wanted.includes(kind)) rows.push(await runRow(kind, labels[kind], params));
  }
  print(rows);
  const file = writeResults('flow', startedAt, {
    parameters: params,
    machine: machineInfo(),
    rows,
    percentile: 'p50/p99',
  });
  console.log(`\nresults: ${file}`);
  if (rows.some((row) => row.status === 'failed')) process.exitCode = 1;
}
