// `npm run bench -- dispatch`: the live driver index dispatch matching searches (src/infra/geo), per
// adapter, at 10k and 100k online drivers spread over a city-sized box, each figure beside raw Redis
// GEO commands measured in the same run on the same data.
//
// Three workloads per fleet size:
// - nearest-10: `GeoIndexPort.nearest` (3 km, limit 10, 60 s freshness) from random points in the box,
//   against raw `GEOSEARCH key FROMLONLAT … BYRADIUS 3 km ASC COUNT 10 WITHCOORD WITHDIST`;
// - update ×1: one driver's position per call (a socket event), against a raw one-member `GEOADD`;
// - update ×N: a batch of N drivers' positions per call (the REST batch), against a raw N-member GEOADD.
// Drivers move a few metres per update, so most updates stay in their cell, as real ones do.
import { Redis } from 'ioredis';
import { LIVE_POSITION_MS, type DriverPosition, type GeoIndexPort } from '../src/infra/geo/geo.port.js';
import { MemoryGeoIndex } from '../src/infra/geo/memory-geo-index.js';
import { RedisGeoIndex } from '../src/infra/geo/redis-geo-index.js';
import {
  envInt,
  formatNumber,
  formatTable,
  machineInfo,
  now,
  progress,
  round,
  runConcurrently,
  medianRound,
  serviceAnswers,
  serviceUrls,
  timeConcurrently,
  uniqueSuffix,
  writeResults,
  type Measurement,
} from './support.js';

const REDIS_URL = serviceUrls.redis;

/** The box drivers and queries are spread over: 30 × 30 km around Berlin's centre. */
const CITY = { lat: 52.52, lng: 13.405, halfSideKm: 15 };
const RADIUS_KM = 3;
const LIMIT = 10;
/** Most a driver moves between two updates (about 10 m/s for 5 s). */
const STEP_KM = 0.05;

interface Parameters {
  /** Online drivers in the index, one set of rows per size. */
  sizes: number[];
  /** nearest-10 queries measured per row. */
  queries: number;
  /** Single-position updates measured per row. */
  updates: number;
  /** Positions per call in the batched-update rows. */
  batch: number;
  /** Calls in flight at once, like that many API requests or socket events being served. */
  concurrency: number;
  /** Operations run first and not measured (JIT, script loading). */
  warmup: number;
  /** Times each row (baseline + adapters) is repeated; the round with the median ratio is reported. */
  rounds: number;
}

function parameters(): Parameters {
  return {
    sizes: [10_000, envInt('BENCH_GEO_DRIVERS', 100_000)],
    queries: envInt('BENCH_GEO_QUERIES', 2_000),
    updates: envInt('BENCH_GEO_UPDATES', 10_000),
    batch: envInt('BENCH_GEO_BATCH', 100),
    concurrency: envInt('BENCH_CONCURRENCY', 16),
    warmup: envInt('BENCH_WARMUP', 200),
    rounds: envInt('BENCH_ROUNDS', 3),
  };
}

type Workload = 'nearest-10' | 'update ×1' | 'update batch';
type AdapterName = 'memory' | 'redis';

interface Row {
  drivers: number;
  workload: Workload;
  adapter: AdapterName;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  /** Operations are queries, or positions written (a batch of N counts N). */
  measured?: Measurement;
  baseline?: Measurement & { name: string };
  /** Adapter ops/s divided by the raw Redis ops/s of the same round. */
  ratio?: number;
  ratioRange?: [number, number];
  rounds?: Row[];
}

export async function run(): Promise<void> {
  const startedAt = new Date();
  const params = parameters();
  const machine = machineInfo();
  console.log(
    `\ndispatch benchmark — nearest-${LIMIT} within ${RADIUS_KM} km and position updates, ` +
      `${params.sizes.map((n) => formatNumber(n)).join(' and ')} drivers in a ${2 * CITY.halfSideKm} km box, ` +
      `${params.concurrency} in flight, ${machine.cpus} CPUs, Node ${machine.node}\n`,
  );

  const redisUp = await serviceAnswers(REDIS_URL);
  if (!redisUp) progress(`Redis not reachable at ${new URL(REDIS_URL).host}: Redis rows and baselines skipped`);

  const rows: Row[] = [];
  const checks: Record<string, unknown>[] = [];
  for (const size of params.sizes) {
    const { rows: sizeRows, check } = await measureSize(size, params, redisUp).catch(
      (error: unknown): { rows: Row[]; check: Record<string, unknown> } => {
        progress(`${formatNumber(size)} drivers failed: ${describeError(error)}`);
        return { rows: [failedRow(size, error)], check: { drivers: size } };
      },
    );
    rows.push(...sizeRows);
    checks.push(check);
  }
  if (rows.some((row) => row.status === 'failed')) process.exitCode = 1;

  printRows(rows, params);
  for (const check of checks) console.log(describeCheck(check));
  const path = writeResults('dispatch', startedAt, {
    benchmark: 'dispatch',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: machineInfo().loadAverage },
    parameters: { ...params, city: CITY, radiusKm: RADIUS_KM, limit: LIMIT, freshWithinMs: LIVE_POSITION_MS },
    checks,
    rows,
  });
  console.log(`\nresults: ${path}`);
}

// ─── One fleet size ─────────────────────────────────────────────────────────────────────────────────

/** The raw Redis counterpart of each workload, on its own GEO key holding the same drivers. */
interface Raw {
  nearest(point: Point): Promise<void>;
  update(positions: readonly DriverPosition[]): Promise<void>;
}

interface Point {
  lat: number;
  lng: number;
}

async function measureSize(
  size: number,
  params: Parameters,
  redisUp: boolean,
): Promise<{ rows: Row[]; check: Record<string, unknown> }> {
  const random = seeded(size);
  const loadedAt = Date.now();
  // Spread over the last 30 s: every driver stays fresh for the queries, which use `now: loadedAt`.
  const drivers: DriverPosition[] = Array.from({ length: size }, (_, i) => ({
    driverId: `driver-${i}`,
    ...pointIn(random),
    at: new Date(loadedAt - Math.floor(random() * 30_000)),
  }));

  // Every key this run creates starts with the prefix, and is deleted in `finally`.
  const prefix = `ordo-bench-${uniqueSuffix()}:`;
  const memory = new MemoryGeoIndex();
  const redisIndex = redisUp ? new RedisGeoIndex({ url: REDIS_URL, keyPrefix: prefix }) : undefined;
  const client = redisUp ? new Redis(REDIS_URL, { protocol: 2, maxRetriesPerRequest: 0 }) : undefined;
  const check: Record<string, unknown> = { drivers: size };
  try {
    progress(`${formatNumber(size)} drivers: loading`);
    check.loadPerSecond = { memory: await load(memory, drivers) };
    let raw: Raw | undefined;
    if (redisIndex && client) {
      const rawKey = `${prefix}raw`;
      raw = rawRedis(client, rawKey);
      check.loadPerSecond = { ...(check.loadPerSecond as object), redis: await load(redisIndex, drivers) };
      for (let start = 0; start < drivers.length; start += 1_000) await raw.update(drivers.slice(start, start + 1_000));
      check.agreement = await agreement(memory, redisIndex, seeded(size + 1), loadedAt);
    }

    const adapters: [AdapterName, GeoIndexPort | undefined][] = [
      ['memory', memory],
      ['redis', redisIndex],
    ];
    const workloads: Workload[] = ['nearest-10', 'update ×1', 'update batch'];
    const rounds = new Map<string, Row[]>();
    // The clock of the updates: later than any loaded position, and rising, so every update applies.
    let clock = loadedAt;
    const nextAt = () => new Date(++clock);

    for (let r = 1; r <= params.rounds; r++) {
      for (const workload of workloads) {
        progress(`${formatNumber(size)} drivers: ${workload}, round ${r} of ${params.rounds}`);
        const operations = makeOperations(workload, params, drivers, seeded(size * 1_000 + r), nextAt, loadedAt);
        const baseline = raw
          ? await time(operations.count, params, params.concurrency, (i) => operations.raw(raw, i))
          : undefined;
        for (const [adapter, index] of adapters) {
          const key = `${workload}|${adapter}`;
          const list = rounds.get(key) ?? [];
          rounds.set(key, list);
          if (!index) {
            list.push({ drivers: size, workload, adapter, status: 'skipped', note: 'Redis not reachable' });
            continue;
          }
          // In-process calls never overlap: with several "in flight" each would wait for the others'
          // work, and its latency would measure that queue, not the call.
          const concurrency = adapter === 'memory' ? 1 : params.concurrency;
          const measured = await time(operations.count, params, concurrency, (i) => operations.index(index, i));
          list.push({
            drivers: size,
            workload,
            adapter,
            status: 'ok',
            measured: scaled(measured, operations.positionsPerCall),
            ...(baseline && {
              baseline: { name: operations.baselineName, ...scaled(baseline, operations.positionsPerCall) },
              ratio: round(measured.perSecond / baseline.perSecond, 3),
            }),
          });
        }
      }
    }
    const rows: Row[] = [];
    for (const workload of workloads) {
      for (const [adapter] of adapters) rows.push(medianRow(rounds.get(`${workload}|${adapter}`) ?? []));
    }
    return { rows, check };
  } finally {
    await memory.close();
    await redisIndex?.close();
    if (client) {
      await deleteKeys(client, prefix).catch((error: unknown) =>
        progress(`could not delete Redis keys ${prefix}*: ${describeError(error)}`),
      );
      await client.quit();
    }
  }
}

interface Operations {
  count: number;
  positionsPerCall: number;
  baselineName: string;
  index(index: GeoIndexPort, i: number): Promise<unknown>;
  raw(raw: Raw, i: number): Promise<void>;
}

/**
 * The same operations for the baseline and both adapters of one round: the same query points, or the
 * same drivers moved to the same places (each side applies them to its own copy of the fleet).
 */
function makeOperations(
  workload: Workload,
  params: Parameters,
  drivers: readonly DriverPosition[],
  random: () => number,
  nextAt: () => Date,
  loadedAt: number,
): Operations {
  switch (workload) {
    case 'nearest-10': {
      const points = Array.from({ length: params.queries }, () => pointIn(random));
      const pick = (i: number) => points[i % points.length]!;
      return {
        count: params.queries,
        positionsPerCall: 1,
        baselineName: `GEOSEARCH ${RADIUS_KM} km COUNT ${LIMIT}`,
        index: (index, i) =>
          index.nearest({
            ...pick(i),
            radiusKm: RADIUS_KM,
            limit: LIMIT,
            freshWithinMs: LIVE_POSITION_MS,
            now: new Date(loadedAt),
          }),
        raw: (raw, i) => raw.nearest(pick(i)),
      };
    }
    case 'update ×1':
    case 'update batch': {
      const perCall = workload === 'update ×1' ? 1 : params.batch;
      const calls = Math.max(1, Math.floor(params.updates / perCall));
      const batches = Array.from({ length: calls }, () =>
        Array.from({ length: perCall }, () => moved(drivers[Math.floor(random() * drivers.length)]!, random, nextAt())),
      );
      const pick = (i: number) => batches[i % batches.length]!;
      return {
        count: calls,
        positionsPerCall: perCall,
        baselineName: perCall === 1 ? 'GEOADD 1 member' : `GEOADD ${perCall} members`,
        index: (index, i) => index.upsert(pick(i)),
        raw: (raw, i) => raw.update(pick(i)),
      };
    }
  }
}

function rawRedis(client: Redis, key: string): Raw {
  return {
    nearest: async ({ lat, lng }) => {
      await client.call(
        'GEOSEARCH',
        key,
        'FROMLONLAT',
        lng,
        lat,
        'BYRADIUS',
        RADIUS_KM,
        'km',
        'ASC',
        'COUNT',
        LIMIT,
        'WITHCOORD',
        'WITHDIST',
      );
    },
    update: async (positions) => {
      const members = positions.flatMap(({ lng, lat, driverId }) => [lng, lat, driverId]);
      await client.call('GEOADD', key, ...members);
    },
  };
}

/** Loads the fleet in batches of 1,000; returns positions per second. */
async function load(index: GeoIndexPort, drivers: readonly DriverPosition[]): Promise<number> {
  const start = now();
  for (let i = 0; i < drivers.length; i += 1_000) await index.upsert(drivers.slice(i, i + 1_000));
  return round(drivers.length / ((now() - start) / 1000), 0);
}

/**
 * Over 200 random queries, the share on which both adapters return the same drivers in the same
 * order (`identical`), and the share on which they differ only where two distances are within 2 m
 * (`withinRounding`: Redis stores a 52-bit geohash, so near-ties may swap). The second should be 1.
 */
async function agreement(memory: GeoIndexPort, redis: GeoIndexPort, random: () => number, loadedAt: number) {
  let identical = 0;
  let withinRounding = 0;
  const total = 200;
  for (let i = 0; i < total; i++) {
    const query = { ...pointIn(random), radiusKm: RADIUS_KM, limit: LIMIT, freshWithinMs: LIVE_POSITION_MS };
    const a = await memory.nearest({ ...query, now: new Date(loadedAt) });
    const b = await redis.nearest({ ...query, now: new Date(loadedAt) });
    if (a.length !== b.length) continue;
    if (a.every((d, k) => d.driverId === b[k]?.driverId)) identical++;
    if (a.every((d, k) => d.driverId === b[k]?.driverId || Math.abs(d.distanceKm - (b[k]?.distanceKm ?? 0)) < 0.002)) {
      withinRounding++;
    }
  }
  return { identical: round(identical / total, 3), withinRounding: round(withinRounding / total, 3) };
}

/** Times `count` calls with `concurrency` in flight after an unmeasured warm-up; latency per call. */
async function time(
  count: number,
  params: Parameters,
  concurrency: number,
  operation: (i: number) => Promise<unknown>,
): Promise<Measurement> {
  await runConcurrently(Math.min(params.warmup, count), concurrency, async (i) => {
    await operation(count - 1 - i); // warm up on the last operations, so the measured ones start cold-free
  });
  return timeConcurrently(count, concurrency, operation);
}

/** Counts positions, not calls, for batched updates; latencies stay per call. */
function scaled(measured: Measurement, perCall: number): Measurement {
  if (perCall === 1) return measured;
  return { ...measured, operations: measured.operations * perCall, perSecond: round(measured.perSecond * perCall, 1) };
}

/** The round with the median ratio stands for the row, its figures consistent with each other. */
function medianRow(rounds: Row[]): Row {
  const last = rounds.at(-1)!;
  const ok = rounds.filter((row) => row.status === 'ok');
  if (ok.length !== rounds.length || rounds.length === 1) return last;
  const { median, range } = medianRound(ok, (row) => row.ratio ?? row.measured!.perSecond);
  return { ...median, ...(median.ratio !== undefined && { ratioRange: range }), rounds };
}

function failedRow(size: number, error: unknown): Row {
  return { drivers: size, workload: 'nearest-10', adapter: 'memory', status: 'failed', note: describeError(error) };
}

// ─── Data ───────────────────────────────────────────────────────────────────────────────────────────

const KM_PER_DEGREE = 111.2;

function pointIn(random: () => number): Point {
  const northKm = (random() * 2 - 1) * CITY.halfSideKm;
  const eastKm = (random() * 2 - 1) * CITY.halfSideKm;
  return {
    lat: CITY.lat + northKm / KM_PER_DEGREE,
    lng: CITY.lng + eastKm / (KM_PER_DEGREE * Math.cos((CITY.lat * Math.PI) / 180)),
  };
}

function moved(from: DriverPosition, random: () => number, at: Date): DriverPosition {
  const northKm = (random() * 2 - 1) * STEP_KM;
  const eastKm = (random() * 2 - 1) * STEP_KM;
  return {
    driverId: from.driverId,
    lat: from.lat + northKm / KM_PER_DEGREE,
    lng: from.lng + eastKm / (KM_PER_DEGREE * Math.cos((from.lat * Math.PI) / 180)),
    at,
  };
}

/** mulberry32: the same fleet and queries in every run, so runs compare. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** SCAN, not KEYS: the prefix is this run's own, but the Redis may be someone else's. */
async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ─── Output ─────────────────────────────────────────────────────────────────────────────────────────

function printRows(rows: readonly Row[], params: Parameters): void {
  const label = (workload: Workload) => (workload === 'update batch' ? `update ×${params.batch}` : workload);
  const table = rows.map((row) => [
    formatNumber(row.drivers),
    label(row.workload),
    row.adapter,
    row.status === 'ok' ? formatNumber(row.measured?.perSecond) : `${row.status}: ${row.note ?? ''}`,
    formatNumber(row.measured?.latencyMs.p50, 2),
    formatNumber(row.measured?.latencyMs.p99, 2),
    row.baseline?.name ?? '—',
    formatNumber(row.baseline?.perSecond),
    formatNumber(row.baseline?.latencyMs.p99, 2),
    formatNumber(row.ratio, 2),
    row.ratioRange ? `${formatNumber(row.ratioRange[0], 2)}–${formatNumber(row.ratioRange[1], 2)}` : '—',
  ]);
  console.log(
    formatTable(
      [
        { header: 'drivers', align: 'right' },
        { header: 'operation' },
        { header: 'adapter' },
        { header: 'ops/s', align: 'right' },
        { header: 'p50 ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
        { header: 'raw Redis baseline' },
        { header: 'raw ops/s', align: 'right' },
        { header: 'raw p99', align: 'right' },
        { header: 'ratio', align: 'right' },
        { header: 'ratio range', align: 'right' },
      ],
      table,
    ),
  );
}

function describeCheck(check: Record<string, unknown>): string {
  const load = check.loadPerSecond as { memory?: number; redis?: number } | undefined;
  let line = `${formatNumber(check.drivers as number)} drivers: loaded ${formatNumber(load?.memory)} positions/s in memory`;
  if (load?.redis) line += ` and ${formatNumber(load.redis)}/s in Redis`;
  const agreed = check.agreement as { identical: number; withinRounding: number } | undefined;
  if (agreed) {
    line +=
      `; memory and Redis gave the same nearest 10 on ${formatNumber(agreed.identical * 100, 1)}% of queries,` +
      ` the same up to near-ties (< 2 m) on ${formatNumber(agreed.withinRounding * 100, 1)}%`;
  }
  return line;
}
