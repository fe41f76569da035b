// Helpers every benchmark shares: timing, percentiles, bounded concurrency, service checks, the stdout
// table and the JSON result file. Benchmarks are not tests (DESIGN §12): they print and record figures,
// each beside a baseline measured in the same run, and never assert.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { cpus, loadavg, platform, arch, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { projectPath } from '../src/common/project-path.js';

/**
 * Monotonic milliseconds; wall clocks jump, and every stamp of a run is taken in this one process.
 * The process-wide monotonic clock (not `performance.now()`, whose origin is each thread's start), so
 * stamps taken in a worker thread (bench/http-load.ts) compare with the main thread's.
 */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** A whole number from the environment, or the default; a bad value stops the run instead of skewing it. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return value;
}

/** Silent unless BENCH_LOG_LEVEL is set: a log line per message would cost more than the work measured. */
export function benchLogger(): Logger {
  return pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' });
}

/** Where the real services live; BENCH_* wins, then the TEST_* addresses the test suites use. */
export const serviceUrls = {
  postgres:
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  rabbitmq: process.env.BENCH_RABBITMQ_URL ?? process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  redis: process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

const DEFAULT_PORTS: Record<string, number> = { 'amqp:': 5672, 'amqps:': 5671, 'redis:': 6379, 'rediss:': 6379 };

/** Does something listen at the URL's host and port? A skipped row beats a run that hangs on a connect. */
export function serviceAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const { hostname, port, protocol } = new URL(url);
  const defaultPort = DEFAULT_PORTS[protocol] ?? 5432;
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || defaultPort) });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** A short random name part, so a bench never collides with tests or another bench on the same servers. */
export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
}

/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight, like that many clients each issuing its
 * next request as soon as the previous one answered. Rejects with the first failure.
 */
export async function runConcurrently(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/**
 * Times `operation` run `count` times with `concurrency` in flight: throughput from the first start to
 * the last end, and each operation's own duration as its latency.
 */
export async function timeConcurrently(
  count: number,
  concurrency: number,
  operation: (index: number) => Promise<unknown>,
): Promise<Measurement> {
  const latencies: number[] = [];
  const start = now();
  await runConcurrently(count, concurrency, async (index) => {
    const began = now();
    await operation(index);
    latencies.push(now() - began);
  });
  return measurement(count, now() - start, latencies);
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    mean: round(sum / Math.max(1, sorted.length)),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}

/** A throughput measurement: how many operations, how long, and the latency of each. */
export interface Measurement {
  operations: number;
  seconds: number;
  perSecond: number;
  latencyMs: LatencySummary;
}

export function measurement(operations: number, elapsedMs: number, latencies: readonly number[]): Measurement {
  return {
    operations,
    seconds: round(elapsedMs / 1000, 3),
    perSecond: round(operations / (elapsedMs / 1000), 1),
    latencyMs: summarize(latencies),
  };
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * One noisy round can halve a figure, so with several rounds the round whose `key` is the median
 * stands for them all (its figures stay consistent with each other); the lowest and highest key go
 * beside it.
 */
export function medianRound<T>(
  rounds: readonly T[],
  key: (round: T) => number,
): { median: T; range: [number, number] } {
  if (rounds.length === 0) throw new Error('no rounds');
  const sorted = [...rounds].sort((a, b) => key(a) - key(b));
  return {
    median: sorted[Math.floor((sorted.length - 1) / 2)]!,
    range: [key(sorted[0]!), key(sorted.at(-1)!)],
  };
}

/** Resolves when `ready()` turns true, rejects after `timeoutMs`; `progress` goes into the error message. */
export async function waitUntil(ready: () => boolean, timeoutMs: number, progress: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms (${progress()})`);
    // A short poll: it adds at most a few ms to a run of seconds, and keeps the hot path free of callbacks.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages at the start: a busy machine explains a slow run. */
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const processors = cpus();
  return {
    cpus: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${platform()} ${release()} ${arch()}`,
    loadAverage: loadavg().map((value) => round(value)),
  };
}

/** Formats a number for the table: thousands separators, fixed decimals, a dash for "not measured". */
export function formatNumber(value: number | undefined, decimals = 0): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** A plain-text table: readable in a terminal, and pasteable into Markdown once wrapped in a code block. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? '';
        const width = widths[index] ?? 0;
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  return [line(columns.map((column) => column.header)), rule, ...rows.map(line)].join('\n');
}

/**
 * Writes `bench/results/<name>-<ISO time>.json` (git-ignored) and returns its path. Colons in the time
 * become dashes so the name is valid on every file system.
 */
export function writeResults(name: string, startedAt: Date, payload: unknown): string {
  const folder = projectPath('bench', 'results');
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${name}-${startedAt.toISOString().replaceAll(':', '-')}.json`);
  writeFileSync(path, `${JSON.stringify(payload, null, 2)}\n`);
  return path;
}

// ─── Scratch resources on the real services ─────────────────────────────────────────────────────────

/** A fresh, empty database `ordo_bench_<random>` on the benchmark server; `drop()` removes it. */
export async function createDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `ordo_bench_${uniqueSuffix()}`;
  await withAdmin((admin) => admin.query(`create database "${name}"`));
  return {
    name,
    url: databaseUrl(name),
    drop: () =>
      withAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

/** The benchmark server's URL with another database name. */
export function databaseUrl(name: string): string {
  const url = new URL(serviceUrls.postgres);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops every database whose name starts with `prefix` (tenant databases an app under test created). */
export async function dropDatabasesWithPrefix(prefix: string): Promise<void> {
  if (prefix.length < 4) throw new Error(`refusing to drop databases by the short prefix "${prefix}"`);
  await withAdmin(async (admin) => {
    const found = await admin.query<{ datname: string }>(
      `select datname from pg_database where starts_with(datname, $1)`,
      [prefix],
    );
    for (const { datname } of found.rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  });
}

export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serviceUrls.postgres });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Deletes every Redis key under `prefix` (SCAN, so a large keyspace is never blocked). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  if (prefix.length < 4) throw new Error(`refusing to delete Redis keys by the short prefix "${prefix}"`);
  const redis = new Redis(serviceUrls.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Logs progress to stderr, so stdout holds only the table a reader (or a script) wants. */
export function progress(message: string): void {
  process.stderr.write(`  · ${message}\n`);
}
