// Runs every compiled test file with node's test runner. Files run in parallel, each in its own
// process with its own databases, queues and keys. Pass paths or substrings to run a subset:
//   npm test -- bus          (files whose path contains "bus")
// While the tests run, a watchdog checks that RabbitMQ still answers (scripts/broker-watchdog.mjs);
// at the end, one line says how many RabbitMQ queues the run declared and deleted.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amqpHandshake } from './amqp-handshake.mjs';
import { watchBroker } from './broker-watchdog.mjs';

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

/** Sums what test/support/test-stats.ts appended: one JSON object per line, one file per test process. */
function rabbitStatsLine(dir) {
  const entries = readdirSync(dir).flatMap((file) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line)),
  );
  if (entries.length === 0) return undefined;
  const pooled = new Set(entries.filter((entry) => entry.leased).map((entry) => entry.namespace));
  const sum = (field, only = () => true) =>
    entries.filter(only).reduce((total, entry) => total + (entry[field] ?? 0), 0);
  const declaredInPool = sum('declared', (entry) => pooled.has(entry.namespace));
  const slots = `${pooled.size} slot${pooled.size === 1 ? '' : 's'}`;
  return (
    `RabbitMQ: ${sum('declared')} queues declared (${declaredInPool} in the namespace pool, ${slots}), ` +
    `${sum('deleted')} deleted by this run`
  );
}

const filters = process.argv.slice(2);
const files = testFiles('dist/test')
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`No test files match ${filters.join(', ')}`);
  process.exit(1);
}

// The same default as test/support/services.ts.
const rabbitUrl = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const answeredAtStart = await amqpHandshake(rabbitUrl, 5_000).then(
  () => true,
  () => false,
);
const statsDir = mkdtempSync(join(tmpdir(), 'ordo-test-stats-'));
const concurrency = process.env.TEST_CONCURRENCY ?? '3';
// Its own process group (detached), so stopping the run also stops every test file's processes.
const child = spawn(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', detached: true, env: { ...process.env, NODE_ENV: 'test', ORDO_TEST_STATS_DIR: statsDir } },
);
const killTests = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
};
// A detached group no longer gets the terminal's Ctrl-C: pass it on.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => killTests(signal));

let lostBroker;
const stopWatching =
  answeredAtStart || process.env.ORDO_TEST_REAL === '1'
    ? watchBroker(rabbitUrl, {
        answeredAtStart,
        onLost: (line) => {
          lostBroker = line;
          killTests('SIGKILL');
        },
      })
    : () => undefined;

const status = await new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
stopWatching();
const stats = rabbitStatsLine(statsDir);
rmSync(statsDir, { recursive: true, force: true });
if (stats) console.log(stats);
if (lostBroker) {
  console.error(lostBroker);
  process.exit(1);
}
process.exit(status);
