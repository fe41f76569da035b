// Entry point of `npm run bench [-- name...]`: runs the named benchmarks, or every one when none is named.
// Each benchmark prints its table to stdout and writes JSON under bench/results/ (see docs/PERFORMANCE.md).

export interface Benchmark {
  /** One line for the usage text. */
  description: string;
  /** Loaded on demand, so one benchmark's dependencies never slow down or break another. */
  load(): Promise<{ run(): Promise<void> }>;
}

const benchmarks: Record<string, Benchmark> = {
  bus: {
    description: 'events/s from outbox commit to handled, per bus adapter, against raw SQL and raw amqplib',
    load: () => import('./bus.js'),
  },
  orders: {
    description: 'orders/s and PENDING → AWAITING_PAYMENT latency over HTTP, against a Fastify echo and raw SQL',
    load: () => import('./orders.js'),
  },
  flow: {
    description: 'paid orders/s, commits, statements and CPU per paid order (POST → Pay → PAID), against raw SQL',
    load: () => import('./flow.js'),
  },
  dispatch: {
    description: 'nearest-driver queries/s and position updates/s, per geo index adapter, against raw Redis GEO',
    load: () => import('./dispatch.js'),
  },
};

function usage(): string {
  const names = Object.entries(benchmarks).map(([name, { description }]) => `  ${name.padEnd(10)} ${description}`);
  return [
    'usage: npm run bench [-- <name>...]     (no name: run them all)',
    '',
    'benchmarks:',
    ...names,
    '',
    'environment (see docs/PERFORMANCE.md): BENCH_EVENTS, BENCH_ROUNDS, BENCH_CONCURRENCY, BENCH_PREFETCH,',
    '  BENCH_POOL_SIZE, BENCH_WARMUP, BENCH_IDLE_EVENTS, BENCH_TIMEOUT_MS, BENCH_DATABASE_URL,',
    '  BENCH_RABBITMQ_URL, BENCH_REDIS_URL, BENCH_LOG_LEVEL, BENCH_ORDERS, BENCH_CONNECTIONS, BENCH_IDLE_ORDERS,',
    '  BENCH_FLOW_ORDERS, BENCH_FLOW_WARMUP, BENCH_FLOW_IN_FLIGHT, BENCH_FLOW_ROWS, BENCH_FLOW_INTAKE_ORDERS',
  ].join('\n');
}

const requested = process.argv.slice(2);
if (requested.some((arg) => arg === '-h' || arg === '--help')) {
  console.log(usage());
  process.exit(0);
}
const unknown = requested.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')}\n\n${usage()}`);
  process.exit(1);
}

for (const name of requested.length > 0 ? requested : Object.keys(benchmarks)) {
  const benchmark = benchmarks[name]!;
  try {
    const module = await benchmark.load();
    await module.run();
  } catch (error) {
    console.error(`${name}: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  }
}
// A failed row can leave a client behind whose broker or server stopped answering (closing it would wait
// forever): name what is still open, then end instead of hanging.
const open = process.getActiveResourcesInfo().filter((resource) => !['TTYWrap', 'Timeout'].includes(resource));
if (open.length > 0 && process.exitCode) console.error(`exiting with handles still open: ${open.join(', ')}`);
process.exit(process.exitCode ?? 0);
