import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { CONTROL_DATABASE, type SqlDatabase } from '../../src/infra/database/sql-database.js';
import { skipUnless, startTestApp, type InfraKind, type TestApp } from '../support/app.js';
import { TEST_RETRY_DELAYS_MS } from '../support/infra.js';
import { waitFor } from '../support/wait-for.js';
import { expectProblem } from '../support/problems.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const adapters: Record<InfraKind, { database: string; bus: string; cache: string }> = {
  embedded: { database: 'pglite', bus: 'table', cache: 'memory' },
  real: { database: 'postgres', bus: 'rabbitmq', cache: 'redis' },
};

interface Readiness {
  status: string;
  details: Record<string, { status: 'up' | 'down'; adapter: string }>;
}

interface ProbeView {
  id: string;
  handledCount: number;
}

interface DeadLetterView {
  id: string;
  messageId: string;
  consumer: string;
  eventType: string;
  error: string;
  attempts: number;
  deadAt: string;
  replayedAt: string | null;
  envelope: { aggregateId?: string };
}

/** Asserts an RFC 9457 answer with this status and returns its body. */

/** The sample value of one series in a Prometheus text exposition, 0 when absent. */
function sample(metrics: string, series: string): number {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function scrape(app: TestApp): Promise<string> {
  const response = await app.request('/metrics');
  assert.equal(response.status, 200);
  return response.text();
}

async function createProbe(app: TestApp, body: unknown): Promise<ProbeView> {
  const response = await app.request('/api/ops/probes', { method: 'POST', json: body });
  assert.equal(response.status, 202, await response.clone().text());
  return (await response.json()) as ProbeView;
}

async function waitUntilHandled(app: TestApp, id: string, timeoutMs = 10_000): Promise<ProbeView> {
  return waitFor(
    async () => {
      const probe = (await (await app.request(`/api/ops/probes/${id}`)).json()) as ProbeView;
      return probe.handledCount === 1 ? probe : undefined;
    },
    { timeoutMs, what: `probe ${id} to be handled` },
  );
}

async function deadLetters(app: TestApp): Promise<DeadLetterView[]> {
  const response = await app.request('/api/ops/dead-letters?per_page=100');
  assert.equal(response.status, 200);
  return ((await response.json()) as { data: DeadLetterView[] }).data;
}

/** Rows that a POST /api/ops/probes writes: the probe and its outbox event. */
async function writtenRows(app: TestApp): Promise<{ probes: number; events: number }> {
  const database = app.ordo.app.get<SqlDatabase>(CONTROL_DATABASE);
  const [counts] = await database.query<{ probes: number; events: number }>(
    sql`select (select count(*)::int from bus_probes) as probes, (select count(*)::int from outbox) as events`,
  );
  assert.ok(counts);
  return counts;
}

const BODY_LIMIT_BYTES = 1024;

for (const kind of ['embedded', 'real'] as const) {
  describe(`the HTTP surface (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(kind, { BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES) });
    });
    after(async () => {
      await app?.close();
    });

    describe('health', () => {
      it('GET /api/health/live answers 200', async () => {
        const response = await app.request('/api/health/live');
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { status: 'ok' });
      });

      it(`GET /api/health/ready reports database, bus and cache up, on ${Object.values(adapters[kind]).join('/')}`, async () => {
        const response = await app.request('/api/health/ready');
        const body = (await response.json()) as Readiness;
        assert.equal(response.status, 200, JSON.stringify(body));
        assert.equal(body.status, 'ok');
        for (const [key, adapter] of Object.entries(adapters[kind])) {
          assert.deepEqual(
            body.details[key],
            { status: 'up', adapter },
            `${key}: ${JSON.stringify(body.details[key])}`,
          );
        }
      });
    });

    describe('errors are application/problem+json', () => {
      it('names each invalid field: a negative delayMs and an unknown field', async () => {
        const response = await app.request('/api/ops/probes', { method: 'POST', json: { delayMs: -5, bogus: true } });
        const body = await expectProblem(response, 400);
        const fields = (body.errors ?? []).map((error) => error.field).sort();
        assert.deepEqual(fields, ['bogus', 'delayMs'], JSON.stringify(body));
        assert.equal(body.errors?.find((error) => error.field === 'bogus')?.message, 'unknown field');
        assert.equal(body.instance, '/api/ops/probes');
      });

      it('rejects a wrongly typed field', async () => {
        const body = await expectProblem(
          await app.request('/api/ops/probes', { method: 'POST', json: { fail: 'yes' } }),
          400,
        );
        assert.deepEqual(
          body.errors?.map((error) => error.field),
          ['fail'],
        );
      });

      it('answers malformed JSON with 400', async () => {
        const response = await app.request('/api/ops/probes', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"delayMs": ',
        });
        await expectProblem(response, 400);
      });

      it('answers a body over BODY_LIMIT_BYTES with 413 and writes nothing', async () => {
        const before = await writtenRows(app);
        // Valid JSON and a valid probe, only too large: padding with whitespace.
        const body = `{"delayMs": 0, ${' '.repeat(BODY_LIMIT_BYTES)} "fail": false}`;
        const response = await app.request('/api/ops/probes', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await expectProblem(response, 413);
        assert.deepEqual(await writtenRows(app), before, 'no probe and no outbox event were written');

        // The same probe, small enough, is written: the count above does see a write.
        await createProbe(app, { delayMs: 0, fail: false });
        assert.deepEqual(await writtenRows(app), { probes: before.probes + 1, events: before.events + 1 });
      });

      it('answers an unknown route with 404', async () => {
        await expectProblem(await app.request('/api/no-such-route'), 404);
      });

      it('answers a probe id that is not a UUID with 400', async () => {
        await expectProblem(await app.request('/api/ops/probes/not-a-uuid'), 400);
      });

      it('answers an unknown probe with 404', async () => {
        const id = randomUUID();
        const body = await expectProblem(await app.request(`/api/ops/probes/${id}`), 404);
        assert.match(body.detail ?? '', new RegExp(id));
      });
    });

    describe('x-request-id', () => {
      it('is echoed when the caller sends one', async () => {
        const response = await app.request('/api/health/live', { headers: { 'x-request-id': 'trace-me-123' } });
        assert.equal(response.headers.get('x-request-id'), 'trace-me-123');
      });

      it('is generated as a UUID when the caller sends none, also on errors', async () => {
        const ok = await app.request('/api/health/live');
        const failed = await app.request('/api/no-such-route');
        const first = ok.headers.get('x-request-id') ?? '';
        const second = failed.headers.get('x-request-id') ?? '';
        assert.match(first, UUID);
        assert.match(second, UUID);
        assert.notEqual(first, second);
      });
    });

    describe('OpenAPI', () => {
      it('serves Swagger UI at /api/docs', async () => {
        const response = await app.request('/api/docs');
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /text\/html/);
        assert.match(await response.text(), /swagger/i);
      });

      it('serves an OpenAPI 3 document at /api/docs-json listing the routes', async () => {
        const response = await app.request('/api/docs-json');
        assert.equal(response.status, 200);
        const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
        assert.match(document.openapi, /^3\./);
        for (const path of ['/api/health/ready', '/api/ops/dead-letters', '/api/ops/probes']) {
          assert.ok(document.paths[path], `${path} is missing from ${Object.keys(document.paths).join(', ')}`);
        }
      });
    });

    describe('GET /metrics', () => {
      it('exposes HTTP, bus, outbox and tenant pool instruments', async () => {
        const metrics = await scrape(app);
        for (const name of [
          'ordo_http_request_duration_seconds',
          'ordo_bus_published_total',
          'ordo_bus_consumed_total',
          'ordo_bus_dead_lettered_total',
          'ordo_outbox_lag_seconds',
          'ordo_tenant_pools_open',
        ]) {
          assert.match(metrics, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is not exported`);
        }
      });

      it('counts each request in the latency histogram under its route', async () => {
        const series = 'ordo_http_request_duration_seconds_count{method="GET",route="/api/health/live",status="200"}';
        const before = sample(await scrape(app), series);
        assert.equal((await app.request('/api/health/live')).status, 200);
        // The histogram is observed once the response has gone out, so poll for it.
        await waitFor(async () => sample(await scrape(app), series) >= before + 1, { what: `${series} to grow` });
      });

      it('counts published and consumed probe messages', async () => {
        const published = 'ordo_bus_published_total';
        const handled = 'ordo_bus_consumed_total{consumer="bus-probe",type="probe.requested",outcome="handled"}';
        const start = await scrape(app);
        const probe = await createProbe(app, {});
        await waitUntilHandled(app, probe.id);
        await waitFor(
          async () => {
            const now = await scrape(app);
            return sample(now, published) > sample(start, published) && sample(now, handled) > sample(start, handled);
          },
          { what: 'published and handled counters to grow' },
        );
      });
    });
  });

  describe(`dead letters over HTTP (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(kind);
    });
    after(async () => {
      await app?.close();
    });

    it('a probe that always fails is dead-lettered after its retries, then replayed on request', async () => {
      const probe = await createProbe(app, { fail: true });
      const letter = await waitFor(
        async () =>
          (await deadLetters(app)).find(
            (candidate) => candidate.consumer === 'bus-probe' && candidate.envelope.aggregateId === probe.id,
          ),
        { timeoutMs: 15_000, what: `a dead letter for probe ${probe.id}` },
      );
      assert.equal(letter.attempts, TEST_RETRY_DELAYS_MS.length + 1, 'first attempt plus one per retry tier');
      assert.equal(letter.eventType, 'probe.requested');
      assert.match(letter.error, /asked to fail/);
      assert.equal(letter.replayedAt, null);

      const replay = await app.request(`/api/ops/dead-letters/${letter.id}/replay`, { method: 'POST' });
      assert.equal(replay.status, 202);
      const replayed = (await replay.json()) as DeadLetterView;
      assert.equal(replayed.id, letter.id);
      assert.ok(replayed.replayedAt, 'the letter records when it was replayed');

      // Back on its consumer's queue, it still fails, walks the retries again and dies once more
      // into the same row (a later deadAt), not a second one.
      const again = await waitFor(
        async () => {
          const mine = (await deadLetters(app)).filter((candidate) => candidate.messageId === letter.messageId);
          const [only] = mine;
          return mine.length === 1 && only && only.deadAt > letter.deadAt ? only : undefined;
        },
        { timeoutMs: 15_000, what: 'the replayed message to be dead-lettered again' },
      );
      assert.equal(again.id, letter.id);
      assert.equal(again.replayedAt, null);
    });

    it('replaying an unknown dead letter answers 404', async () => {
      await expectProblem(await app.request(`/api/ops/dead-letters/${randomUUID()}/replay`, { method: 'POST' }), 404);
    });
  });
}

describe('a Redis outage (real)', { skip: await skipUnless('real') }, () => {
  let app: TestApp;
  before(async () => {
    // Nothing listens on port 1: the cache is down from the start while Postgres and RabbitMQ are up.
    app = await startTestApp('real', { REDIS_URL: 'redis://127.0.0.1:1' });
  });
  after(async () => {
    await app?.close();
  });

  it('makes /api/health/ready answer 503 with cache down, database and bus up', async () => {
    const response = await app.request('/api/health/ready');
    const body = (await response.json()) as Readiness;
    assert.equal(response.status, 503, JSON.stringify(body));
    assert.deepEqual(body.details.cache, { status: 'down', adapter: 'redis' });
    assert.deepEqual(body.details.database, { status: 'up', adapter: 'postgres' });
    assert.deepEqual(body.details.bus, { status: 'up', adapter: 'rabbitmq' });
  });

  it('slows nothing down: a probe is still accepted and handled promptly', async () => {
    const started = Date.now();
    const probe = await createProbe(app, {});
    assert.ok(Date.now() - started < 1_000, `accepting took ${Date.now() - started} ms`);
    await waitUntilHandled(app, probe.id, 5_000);
  });
});
