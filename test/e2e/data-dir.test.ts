import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { projectPath } from '../../src/common/project-path.js';
import { TEST_ADMIN } from '../support/auth.js';
import { startOrdoProcess, stopAllProcesses, type OrdoProcess } from '../support/processes.js';

const run = promisify(execFile);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Runs a compiled script (seed, migrate) on `dataDir` as an operator would; never throws. */
async function script(name: string, dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(DATABASE_URL|RABBITMQ_URL|REDIS_URL|ORDO_|MODE|PORT)/.test(key)),
  );
  return run(process.execPath, [projectPath('dist', 'scripts', `${name}.js`)], {
    cwd: tmpdir(),
    env: { ...env, NODE_ENV: 'development', DATA_DIR: dataDir },
    timeout: 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

async function signsIn(ordo: OrdoProcess, email: string, password: string): Promise<number> {
  const response = await ordo.request('/api/auth/login', { method: 'POST', json: { email, password }, as: null });
  await response.body?.cancel();
  return response.status;
}

describe('one Ordo process per DATA_DIR (embedded)', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'ordo-data-dir-')), 'data');
  let first: OrdoProcess;

  before(async () => {
    first = await startOrdoProcess({ DATA_DIR: dataDir }, { label: 'first' });
  });
  after(async () => {
    await stopAllProcesses();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('a second Ordo on the same DATA_DIR refuses at once, naming the process that holds it', async () => {
    const second = await startOrdoProcess({ DATA_DIR: dataDir }, { label: 'second', waitReady: false });
    const { code } = await second.exited;
    assert.equal(code, 1, second.output());
    const stderr = second
      .output()
      .split('\n')
      .filter((line) => line.startsWith('[stderr]'));
    assert.equal(stderr.length, 1, `one line on stderr:\n${second.output()}`);
    assert.match(
      stderr[0] ?? '',
      new RegExp(
        `^\\[stderr\\] Ordo cannot start: DATA_DIR ${escape(dataDir)} is in use by process ${first.pid} ` +
          '\\(main\\.js, started [^)]+\\): .*Stop that process first\\.$',
      ),
    );
    assert.equal(await signsIn(first, TEST_ADMIN.email, TEST_ADMIN.password), 200, 'the first one still serves');
  });

  it('npm run seed and npm run migrate refuse while it runs, and write nothing', async () => {
    for (const name of ['seed', 'migrate']) {
      const { code, stdout, stderr } = await script(name, dataDir);
      assert.equal(code, 1, `${name}: ${stdout}${stderr}`);
      assert.match(stderr, new RegExp(`DATA_DIR ${escape(dataDir)} is in use by process ${first.pid} \\(main\\.js`));
      assert.match(stderr, new RegExp(`Stop that process first\\. Then run npm run ${name} again\\.`));
      assert.doesNotMatch(stdout, /created/);
    }
    // The demo customer was not created behind the running server's back, and sign-in still works.
    assert.equal(await signsIn(first, 'customer@ordo.local', 'customer-password'), 401);
    assert.equal(await signsIn(first, TEST_ADMIN.email, TEST_ADMIN.password), 200);
  });

  it('after the holder is killed -9, the next Ordo takes the stale lock over and finds its data intact', async () => {
    first.kill('SIGKILL');
    await first.exited;
    const next = await startOrdoProcess({ DATA_DIR: dataDir }, { label: 'next' });
    assert.equal(await signsIn(next, TEST_ADMIN.email, TEST_ADMIN.password), 200);
    const { code } = await next.stop();
    assert.equal(code, 0, next.output());
  });

  it('once it has stopped, npm run seed works on that DATA_DIR', async () => {
    const { code, stdout, stderr } = await script('seed', dataDir);
    assert.equal(code, 0, `${stdout}${stderr}`);
    assert.match(stdout, /created\s+customer\s+customer@ordo\.local/);
  });
});
