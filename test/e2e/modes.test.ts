import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
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

const leaderLines = (process: OrdoProcess) => process.logs.filter((line) => line.msg === 'scheduler became leader');

describe(
  'api, worker and scheduler as separate processes (real infrastructure)',
  { skip: await skipUnless('real') },
  () => {
    let infra: RealInfra;
    let env: Record<string, string>;
    let api: OrdoProcess;
    let scheduler: OrdoProcess;
    let worker: OrdoProcess | undefined;

    before(async () => {
      infra = await createRealInfra('modes');
      env = { ...infra.env, OUTBOX_SWEEP_INTERVAL_MS: '500' };
      // No worker yet: the api and the scheduler run alone first.
      [api, scheduler] = await Promise.all([
        startOrdoProcess({ ...env, MODE: 'api' }, { label: 'api' }),
        startOrdoProcess({ ...env, MODE: 'scheduler' }, { label: 'scheduler-1' }),
      ]);
    });

    after(async () => {
      await stopAllProcesses();
      await infra?.cleanup();
    });

    it('the api alone accepts probes, and the worker handles them once it comes up', async () => {
      const ids = [await postProbe(api), await postProbe(api)];
      // Nobody consumes yet: both wait on the bus.
      for (const id of ids) assert.equal((await getProbe(api, id)).handledCount, 0);

      worker = await startOrdoProcess({ ...env, MODE: 'worker' }, { label: 'worker' });
      for (const id of ids) assert.equal((await waitUntilHandled(api, id)).handledCount, 1);
    });

    it('a probe posted to the api is handled by the worker process', async () => {
      assert.ok(worker && !worker.hasExited);
      const id = await postProbe(api);
      assert.equal((await waitUntilHandled(api, id)).handledCount, 1);
    });

    it('with the worker stopped, the api still accepts probes; a new worker handles each once', async () => {
      assert.ok(worker);
      const { code } = await worker.stop();
      assert.equal(code, 0, `the worker should shut down cleanly:\n${worker.output()}`);

      const ids = [await postProbe(api), await postProbe(api, { delayMs: 50 })];
      for (const id of ids) assert.equal((await getProbe(api, id)).handledCount, 0);

      worker = await startOrdoProcess({ ...env, MODE: 'worker' }, { label: 'worker-2' });
      for (const id of ids) assert.equal((await waitUntilHandled(api, id)).handledCount, 1);
    });

    it('of two schedulers exactly one becomes leader; the other takes over when it stops', async () => {
      assert.equal(leaderLines(scheduler).length, 1, scheduler.output());
      const second = await startOrdoProcess({ ...env, MODE: 'scheduler' }, { label: 'scheduler-2' });
      const started = await second.waitForLog(
        (line) => line.msg === 'scheduler is a follower' || line.msg === 'scheduler became leader',
      );
      assert.equal(started.msg, 'scheduler is a follower', second.output());
      // A leadership check runs every 2 s: after more than two of them, still exactly one leader.
      await second
        .waitForLog((line) => line.msg === 'scheduler became leader', 4_500)
        .then(
          () => assert.fail(`the second scheduler became leader while the first one still runs:\n${second.output()}`),
          () => undefined,
        );
      assert.equal(leaderLines(scheduler).length, 1);
      assert.equal(leaderLines(second).length, 0);

      const { code } = await scheduler.stop();
      assert.equal(code, 0, scheduler.output());
      await second.waitForLog('scheduler became leader', 20_000);
      assert.equal(leaderLines(second).length, 1);
    });
  },
);
