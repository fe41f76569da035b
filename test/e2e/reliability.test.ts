import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import pg from 'pg';
import { RabbitNames } from '../../src/infra/bus/rabbit-topology.js';
import { skipUnless } from '../support/app.js';
import { createRealInfra, type RealInfra } from '../support/infra.js';
import {
  getProbe,
  postProbe,
  startOrdoProcess,
  stopAllProcesses,
  waitUntilHandled,
  type OrdoProcess,
} from '../support/processes.js';
import { serviceUrls } from '../support/services.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';

/** Short lease: a killed worker's table-bus message comes back after 2 s. */
const LEASE_MS = 2_000;

interface DeadLetterView {
  id: string;
  messageId: string;
  consumer: string;
  attempts: number;
  deadAt: string;
  replayedAt: string | null;
  error: string;
  envelope: { aggregateId?: string };
}

async function query<Row>(url: string, text: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

async function rabbitQueue(queue: string): Promise<{ messageCount: number; consumerCount: number }> {
  const connection = await connect(serviceUrls.rabbitmq);
  try {
    const channel = await connection.createChannel();
    return await channel.checkQueue(queue);
  } finally {
    await connection.close();
  }
}

/** Each of these probes was applied exactly once: now, and still after any redelivery could have landed. */
async function assertHandledExactlyOnce(api: OrdoProcess, ids: string[]): Promise<void> {
  for (const id of ids) assert.equal((await waitUntilHandled(api, id)).handledCount, 1, `probe ${id}`);
  // A duplicate would come from a lease running out or a redelivery: give one more lease for it to show.
  await sleep(LEASE_MS + 500);
  for (const id of ids) assert.equal((await getProbe(api, id)).handledCount, 1, `probe ${id} was applied twice`);
}

for (const bus of ['rabbitmq', 'table'] as const) {
  describe(
    `reliability on the ${bus} bus, separate processes (real infrastructure)`,
    { skip: await skipUnless('real') },
    () => {
      let infra: RealInfra;
      let proxy: TcpProxy;
      let apiEnv: Record<string, string>;
      let workerEnv: Record<string, string>;
      let api: OrdoProcess;
      let worker: OrdoProcess | undefined;
      let workers = 0;

      async function runningWorker(): Promise<OrdoProcess> {
        if (!worker || worker.hasExited) {
          worker = await startOrdoProcess({ ...workerEnv, MODE: 'worker' }, { label: `${bus}-worker-${++workers}` });
        }
        return worker;
      }

      /** Resolves once the worker has taken the probe's message and is working on it. */
      async function waitUntilTaken(probeId: string): Promise<void> {
        const databaseUrl = infra.database.url;
        await waitFor(
          async () => {
            if (bus === 'table') {
              const rows = await query(
                databaseUrl,
                `select 1 from bus_messages m join outbox o on o.id = m.message_id
               where o.aggregate_id = $1 and m.locked_until > now()`,
                [probeId],
              );
              return rows.length === 1;
            }
            // Published (confirmed, so it is in the queue) and no longer ready there: delivered, unacked.
            const [row] = await query<{ published: boolean }>(
              databaseUrl,
              `select published_at is not null as published from outbox where aggregate_id = $1`,
              [probeId],
            );
            if (!row?.published) return false;
            const queue = await rabbitQueue(new RabbitNames(infra.namespace).queue('bus-probe'));
            return queue.messageCount === 0 && queue.consumerCount > 0;
          },
          { timeoutMs: 20_000, what: `the worker to take probe ${probeId}` },
        );
      }

      before(async () => {
        infra = await createRealInfra(`rel_${bus}`);
        const base = { ...infra.env, OUTBOX_SWEEP_INTERVAL_MS: '500', BUS_LEASE_MS: String(LEASE_MS) };
        if (bus === 'rabbitmq') {
          // Every process reaches the broker through the proxy.
          proxy = await TcpProxy.forUrl(infra.env.RABBITMQ_URL!);
          apiEnv = { ...base, RABBITMQ_URL: proxy.proxied(infra.env.RABBITMQ_URL!) };
          workerEnv = apiEnv;
        } else {
          // The table queue: no RABBITMQ_URL. Only the worker reaches Postgres through the proxy.
          delete (base as Record<string, string | undefined>).RABBITMQ_URL;
          proxy = await TcpProxy.forUrl(infra.env.DATABASE_URL!);
          apiEnv = base;
          workerEnv = { ...base, DATABASE_URL: proxy.proxied(infra.env.DATABASE_URL!) };
        }
        [api] = await Promise.all([
          startOrdoProcess({ ...apiEnv, MODE: 'api' }, { label: `${bus}-api` }),
          startOrdoProcess({ ...apiEnv, MODE: 'scheduler' }, { label: `${bus}-scheduler` }),
        ]);
      });

      after(async () => {
        await stopAllProcesses();
        await proxy?.stop();
        await infra?.cleanup();
      });

      it('a worker killed with SIGKILL mid-message: the next worker applies it exactly once', async () => {
        const first = await runningWorker();
        const id = await postProbe(api, { delayMs: 3_000 });
        await waitUntilTaken(id);

        first.kill('SIGKILL');
        const { signal } = await first.exited;
        assert.equal(signal, 'SIGKILL');
        assert.equal(
          (await getProbe(api, id)).handledCount,
          0,
          'the probe was handled before the kill: the test proves nothing',
        );

        await runningWorker();
        await assertHandledExactlyOnce(api, [id]);
        if (bus === 'table') {
          const left = await query(infra.database.url, `select 1 from bus_messages where consumer = 'bus-probe'`);
          assert.equal(left.length, 0, 'the message left the queue');
        }
      });

      const outage = bus === 'rabbitmq' ? 'the broker is unreachable' : "the worker's database connection is cut";
      it(`while ${outage}, probes are accepted; each is applied exactly once when it comes back`, async () => {
        const current = await runningWorker();
        await proxy.stop();
        try {
          if (bus === 'rabbitmq') {
            // The api notices the broker is gone (readiness turns 503) …
            await waitFor(async () => (await api.request('/api/health/ready')).status === 503, {
              timeoutMs: 20_000,
              what: 'the api to report the bus down',
            });
          }
          // … and still accepts every probe: the outbox holds them.
          const ids: string[] = [];
          for (let i = 0; i < 5; i++) ids.push(await postProbe(api));
          // Give a working path time to show; none may be handled while the proxy is down.
          await sleep(1_500);
          for (const id of ids)
            assert.equal((await getProbe(api, id)).handledCount, 0, `probe ${id} handled during the outage`);
          if (bus === 'rabbitmq') {
            const unpublished = await query(
              infra.database.url,
              `select id from outbox where published_at is null and aggregate_id = any($1::text[])`,
              [ids],
            );
            assert.equal(unpublished.length, ids.length, 'the outbox keeps every probe until the broker is back');
          }

          await proxy.start();
          await assertHandledExactlyOnce(api, ids);
          assert.equal(current.hasExited, false, `the worker survived the outage:\n${current.output()}`);
        } finally {
          await proxy.start();
        }
      });

      it('a poison message walks the retry tiers into the dead-letter store, and replays', async () => {
        await runningWorker();
        const id = await postProbe(api, { fail: true });
        const findLetter = async () => {
          const response = await api.request('/api/ops/dead-letters?per_page=100');
          assert.equal(response.status, 200);
          const { data } = (await response.json()) as { data: DeadLetterView[] };
          return data.find((letter) => letter.envelope.aggregateId === id);
        };
        const letter = await waitFor(findLetter, { timeoutMs: 30_000, what: `probe ${id} to be dead-lettered` });
        assert.equal(letter.consumer, 'bus-probe');
        assert.equal(letter.attempts, 3, 'first try and two retries (BUS_RETRY_DELAYS_MS=100,300)');
        assert.match(letter.error, /asked to fail/);
        assert.equal(letter.replayedAt, null);
        assert.equal((await getProbe(api, id)).handledCount, 0);

        const replay = await api.request(`/api/ops/dead-letters/${letter.id}/replay`, { method: 'POST' });
        assert.equal(replay.status, 202, await replay.clone().text());
        assert.ok(((await replay.json()) as DeadLetterView).replayedAt, 'the replay is recorded');

        // It fails again, through every tier, and is dead-lettered again: the same row, a new deadAt.
        const again = await waitFor(
          async () => {
            const current = await findLetter();
            return current && current.replayedAt === null && current.deadAt > letter.deadAt ? current : undefined;
          },
          { timeoutMs: 30_000, what: `the replayed probe ${id} to be dead-lettered again` },
        );
        assert.equal(again.id, letter.id);
        assert.equal(again.attempts, 3);
        assert.equal((await getProbe(api, id)).handledCount, 0);
      });
    },
  );
}
