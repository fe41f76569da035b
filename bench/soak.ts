// Entry point of `npm run soak -- broker`: start/stop and kill -9 cycles of split deployments, each on its
// own namespace, against a RabbitMQ node with the common default of 1,024 open files; it ends by checking
// that the node still accepts a new AMQP connection. See docs/PERFORMANCE.md, "Broker soak".
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { projectPath } from '../src/common/project-path.js';
import {
  getProbe,
  postProbe,
  startOrdoProcess,
  stopAllProcesses,
  waitUntilHandled,
  type OrdoProcess,
} from '../test/support/processes.js';
import { createDatabase, envInt, formatTable, progress, uniqueSuffix, writeResults } from './support.js';

const NODE_SCRIPT = projectPath('.ci', 'rabbitmq-node.sh');

interface Node {
  dir: string;
  url: string;
}

function nodeScript(args: string[], env: Record<string, string> = {}): string {
  const result = spawnSync('bash', [NODE_SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`rabbitmq-node.sh ${args[0]} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** Milliseconds until a new AMQP connection is open (handshake included), or undefined past `timeoutMs`. */
async function handshakeMs(url: string, timeoutMs: number): Promise<number | undefined> {
  const started = performance.now();
  try {
    const connection = await connect(url, { timeout: timeoutMs });
    await connection.close();
    return Math.round(performance.now() - started);
  } catch {
    return undefined;
  }
}

async function startNode(openFiles: number): Promise<Node> {
  const dir = mkdtempSync(join(tmpdir(), 'ordo-soak-rabbit-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  nodeScript(['start', dir, String(port)], { RABBITMQ_OPEN_FILES: String(openFiles) });
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  for (let waited = 0; waited < 60; waited++) {
    if ((await handshakeMs(url, 2_000)) !== undefined) return { dir, url };
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  nodeScript(['stop', dir]);
  throw new Error('the soak node did not answer AMQP within 60 s');
}

function queueCount(node: Node): number {
  const listed = nodeScript(['ctl', node.dir, '-q', 'list_queues', 'name']);
  return listed.split('\n').filter((line) => line.trim() !== '' && line.trim() !== 'name').length;
}

/** api + worker + scheduler of one deployment, started at once. */
async function deployment(env: Record<string, string>, label: string): Promise<OrdoProcess[]> {
  return Promise.all(
    (['api', 'worker', 'scheduler'] as const).map((mode) =>
      startOrdoProcess({ ...env, MODE: mode }, { label: `${label} ${mode}`, readyTimeoutMs: 90_000 }),
    ),
  );
}

/**
 * Two cycles on one namespace: a clean start, a probe through the bus and a graceful stop; then a start,
 * a worker killed with SIGKILL while it holds a probe, a new worker that finishes it, and SIGKILL for all.
 */
async function cycles(env: Record<string, string>, label: string): Promise<void> {
  let [api, worker, scheduler] = await deployment(env, label);
  await waitUntilHandled(api!, await postProbe(api!));
  await Promise.all([api!, worker!, scheduler!].map((process) => process.stop()));

  [api, worker, scheduler] = await deployment(env, label);
  const held = await postProbe(api!, { delayMs: 2_000 });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  worker!.kill('SIGKILL');
  await worker!.exited;
  await startOrdoProcess({ ...env, MODE: 'worker' }, { label: `${label} worker 2`, readyTimeoutMs: 90_000 });
  await waitUntilHandled(api!, held);
  if ((await getProbe(api!, held)).handledCount !== 1) throw new Error(`${label}: the held probe was applied twice`);
  await stopAllProcesses();
}

async function soakBroker(): Promise<void> {
  const deployments = envInt('SOAK_DEPLOYMENTS', 10);
  const openFiles = envInt('SOAK_OPEN_FILES', 1_024);
  const startedAt = new Date();
  progress(`broker soak: ${deployments} split deployments, a RabbitMQ node with ${openFiles} open files`);
  const node = await startNode(openFiles);
  const databases: { drop(): Promise<void> }[] = [];
  const rows: string[][] = [];
  let failure: unknown;
  try {
    const suffix = uniqueSuffix().replace(/-/g, '');
    for (let i = 0; i < deployments; i++) {
      const database = await createDatabase();
      databases.push(database);
      const env = {
        DATABASE_URL: database.url,
        DATABASE_PREFIX: `sk${suffix}${i}_`.slice(0, 20),
        RABBITMQ_URL: node.url,
        BUS_NAMESPACE: `soak_${i}`,
        OUTBOX_SWEEP_INTERVAL_MS: '500',
      };
      progress(`deployment ${i + 1} of ${deployments} (namespace soak_${i})`);
      await cycles(env, `soak_${i}`);
      const queues = queueCount(node);
      const connectMs = await handshakeMs(node.url, 2_000);
      rows.push([String(i + 1), String(queues), connectMs === undefined ? 'no answer' : `${connectMs} ms`]);
      if (connectMs === undefined) throw new Error(`the node stopped accepting connections after ${i + 1} deployments`);
    }
  } catch (error) {
    failure = error;
  } finally {
    await stopAllProcesses();
  }
  const finalMs = await handshakeMs(node.url, 2_000);
  const queues = queueCount(node);
  nodeScript(['stop', node.dir]);
  for (const database of databases) await database.drop().catch(() => undefined);

  console.log(
    `\nbroker soak — RabbitMQ node with ${openFiles} open files, split deployments (api + worker + scheduler)\n`,
  );
  console.log(
    formatTable(
      [{ header: 'deployments' }, { header: 'queues on the node', align: 'right' }, { header: 'new connection' }],
      rows,
    ),
  );
  const verdict =
    finalMs === undefined
      ? 'the node does NOT accept a new AMQP connection within 2 s'
      : `the node accepts a new AMQP connection in ${finalMs} ms`;
  console.log(`\nafter ${rows.length} deployments, ${queues} queues: ${verdict}`);
  const file = writeResults('soak-broker', startedAt, { deployments, openFiles, rows, queues, finalMs });
  console.log(`results: ${file}`);
  if (failure) {
    console.error(failure instanceof Error ? (failure.stack ?? failure.message) : JSON.stringify(failure));
    process.exitCode = 1;
  }
  if (finalMs === undefined) process.exitCode = 1;
}

const soaks: Record<string, () => Promise<void>> = { broker: soakBroker };
const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in soaks));
if (names.length === 0 || unknown.length > 0) {
  console.error(`usage: npm run soak -- <${Object.keys(soaks).join('|')}>`);
  process.exit(1);
}
for (const name of names) await soaks[name]!();
process.exit(process.exitCode ?? 0);
