import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signInAsAdmin } from '../support/auth.js';
import { skipUnless, type InfraKind } from '../support/app.js';
import { createRealInfra, TEST_RETRY_DELAYS_MS, type RealInfra } from '../support/infra.js';
import {
  getProbe,
  postProbe,
  startOrdoProcess,
  stopAllProcesses,
  waitUntilHandled,
  type OrdoProcess,
} from '../support/processes.js';
import { waitFor } from '../support/wait-for.js';

/** The design's promise: after SIGTERM, in-flight work finishes and the process exits 0 within this. */
const EXIT_WITHIN_MS = 10_000;

/** Exit code and how long after `since` the process exited; fails if it takes longer than EXIT_WITHIN_MS. */
async function exitAfterSigterm(ordo: OrdoProcess, since: number): Promise<{ code: number | null; tookMs: number }> {
  const outcome = await Promise.race([ordo.exited, sleep(EXIT_WITHIN_MS + 2_000).then(() => undefined)]);
  if (!outcome) assert.fail(`still running ${EXIT_WITHIN_MS + 2_000} ms after SIGTERM:\n${ordo.output()}`);
  return { code: outcome.code, tookMs: Date.now() - since };
}

/** What a fresh connection sees: 'refused' (no listener, reset) or the HTTP status. */
function freshConnection(ordo: OrdoProcess): Promise<'refused' | 'timeout' | number> {
  return new Promise((resolve) => {
    const request = httpRequest(
      { host: '127.0.0.1', port: ordo.port, path: '/api/health/live', agent: false, timeout: 1_000 },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('timeout', () => {
      request.destroy();
      resolve('timeout');
    });
    request.on('error', () => resolve('refused'));
    request.end();
  });
}

async function publishedCount(ordo: OrdoProcess): Promise<number> {
  const text = await (await ordo.request('/metrics')).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('ordo_bus_published_total'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

for (const kind of ['embedded', 'real'] as InfraKind[]) {
  describe(`graceful shutdown on SIGTERM, MODE=all (${kind})`, { skip: await skipUnless(kind) }, () => {
    let env: Record<string, string>;
    let infra: RealInfra | undefined;
    let dataDir: string | undefined;
    /** The probe posted by the request that was in flight at SIGTERM; handled after a restart. */
    let acceptedDuringShutdown: string | undefined;

    before(async () => {
      if (kind === 'real') {
        infra = await createRealInfra('shutdown');
        env = { ...infra.env };
      } else {
        // Embedded on files, so a restart finds what the first process left.
        dataDir = await mkdtemp(join(tmpdir(), 'ordo-shutdown-'));
        env = { DATA_DIR: dataDir, BUS_RETRY_DELAYS_MS: TEST_RETRY_DELAYS_MS.join(',') };
      }
      env = { ...env, MODE: 'all', OUTBOX_SWEEP_INTERVAL_MS: '500' };
    });

    after(async () => {
      await stopAllProcesses();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      await infra?.cleanup();
    });

    it('finishes an HTTP request in flight and refuses new connections meanwhile', async () => {
      const ordo = await startOrdoProcess(env, { label: `${kind}-1` });
      const token = await signInAsAdmin(ordo.url!);
      const body = JSON.stringify({ delayMs: 0, fail: false });
      const half = Math.floor(body.length / 2);
      const logged = ordo.logs.length;

      const request = httpRequest({
        host: '127.0.0.1',
        port: ordo.port,
        path: '/api/ops/probes',
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      });
      const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
        request.on('response', (response: IncomingMessage) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
          response.on('error', reject);
        });
        request.on('error', reject);
      });
      request.write(body.slice(0, half));
      // The server has read the headers and is waiting for the rest of the body.
      await ordo.waitForLog(
        (line) =>
          ordo.logs.indexOf(line) >= logged &&
          line.msg === 'incoming request' &&
          (line.req as { method?: string; url?: string } | undefined)?.url === '/api/ops/probes',
        10_000,
      );

      const sigtermAt = Date.now();
      ordo.kill('SIGTERM');
      // Intake stops: a new connection is refused (or answered 503) while the old request is still open.
      const seen = await waitFor(
        async () => {
          const outcome = await freshConnection(ordo);
          return outcome === 'refused' || outcome === 503 ? outcome : undefined;
        },
        { timeoutMs: 5_000, intervalMs: 20, what: 'new connections to be refused after SIGTERM' },
      );
      assert.ok(seen === 'refused' || seen === 503);
      assert.equal(ordo.hasExited, false, 'the process waits for the request in flight');

      await sleep(Math.max(0, 300 - (Date.now() - sigtermAt)));
      request.end(body.slice(half));
      const { status, text } = await answered;
      assert.equal(status, 202, text);
      acceptedDuringShutdown = (JSON.parse(text) as { id: string }).id;

      const { code } = await exitAfterSigterm(ordo, sigtermAt);
      assert.equal(code, 0, ordo.output());
    });

    it('finishes a message in flight, exits 0 within 10 s, and the message took effect exactly once', async () => {
      const ordo = await startOrdoProcess(env, { label: `${kind}-2` });
      const before = await publishedCount(ordo);
      const id = await postProbe(ordo, { delayMs: 2_000 });
      // Published; the consumer takes it within moments (the handler then works for 2 s).
      await waitFor(async () => (await publishedCount(ordo)) > before, {
        timeoutMs: 20_000,
        what: 'the probe to be published',
      });
      await sleep(500);

      const sigtermAt = Date.now();
      ordo.kill('SIGTERM');
      const { code, tookMs } = await exitAfterSigterm(ordo, sigtermAt);
      const exitedAt = Date.now();
      assert.equal(code, 0, ordo.output());
      assert.ok(tookMs < EXIT_WITHIN_MS, `exited ${tookMs} ms after SIGTERM`);
      assert.ok(
        ordo.logs.some((line) => line.msg === 'shutdown complete'),
        ordo.output(),
      );

      const restarted = await startOrdoProcess(env, { label: `${kind}-3` });
      const probe = await getProbe(restarted, id);
      assert.equal(
        probe.handledCount,
        1,
        'the message in flight was finished before the process exited (0: it was not taken before SIGTERM, or was dropped)',
      );
      assert.ok(probe.lastHandledAt, 'handled');
      const handledAt = Date.parse(probe.lastHandledAt);
      assert.ok(
        handledAt >= sigtermAt - 50 && handledAt <= exitedAt + 50,
        `handled during the shutdown (SIGTERM ${new Date(sigtermAt).toISOString()}, handled ${probe.lastHandledAt}, exit ${new Date(exitedAt).toISOString()})`,
      );

      // The request that was in flight at the first SIGTERM committed its probe; the bus kept the message.
      if (acceptedDuringShutdown) {
        assert.equal((await waitUntilHandled(restarted, acceptedDuringShutdown)).handledCount, 1);
      }
      // And nothing is applied twice after the restart.
      await sleep(1_000);
      assert.equal((await getProbe(restarted, id)).handledCount, 1);

      const stopped = await restarted.stop();
      assert.equal(stopped.code, 0, restarted.output());
    });
  });
}
