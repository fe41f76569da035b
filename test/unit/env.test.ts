import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { InvalidEnvironmentError, loadEnv } from '../../src/config/load-env.js';
import { projectPath } from '../../src/common/project-path.js';

/** The problems loadEnv reports for `source`; fails the test when it accepts it. */
function problemsOf(source: Record<string, string>): string[] {
  try {
    loadEnv(source);
  } catch (error) {
    assert.ok(error instanceof InvalidEnvironmentError, `expected InvalidEnvironmentError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail(`the environment ${JSON.stringify(source)} was accepted`);
}

function assertNamed(problems: string[], name: string): void {
  assert.ok(
    problems.some((problem) => problem.startsWith(`${name}:`)),
    `no problem names ${name}; got:\n${problems.join('\n')}`,
  );
}

const strongSecret = randomBytes(30).toString('base64url').slice(0, 40);

describe('loadEnv', () => {
  it('runs everything on embedded infrastructure when nothing is set', () => {
    const env = loadEnv({});
    assert.equal(env.MODE, 'all');
    assert.equal(env.PORT, 3000);
    assert.equal(env.NODE_ENV, 'development');
    assert.equal(env.DATABASE_URL, undefined);
    assert.equal(env.RABBITMQ_URL, undefined);
    assert.equal(env.REDIS_URL, undefined);
    assert.equal(env.JWT_SECRET, undefined);
    assert.equal(env.DATA_DIR, './.ordo');
    assert.deepEqual(env.BUS_RETRY_DELAYS_MS, [1000, 5000, 30000, 120000, 600000]);
    assert.equal(env.BODY_LIMIT_BYTES, 1_048_576);
  });

  it('converts numbers and retry delays from their text form', () => {
    const env = loadEnv({ PORT: '8080', BUS_RETRY_DELAYS_MS: '100, 300', MODE: 'worker' });
    assert.equal(env.PORT, 8080);
    assert.deepEqual(env.BUS_RETRY_DELAYS_MS, [100, 300]);
    assert.equal(env.MODE, 'worker');
  });

  it('reports every bad variable at once, not just the first', () => {
    const problems = problemsOf({
      MODE: 'sideways',
      PORT: 'abc',
      BUS_RETRY_DELAYS_MS: '1,x',
      DATABASE_URL: 'not-a-url',
    });
    for (const name of ['MODE', 'PORT', 'BUS_RETRY_DELAYS_MS', 'DATABASE_URL']) assertNamed(problems, name);
    assert.equal(problems.length, 4, problems.join('\n'));
  });

  it('shows the offending value of an ordinary variable, to help the operator', () => {
    const [problem] = problemsOf({ MODE: 'sideways' });
    assert.match(problem ?? '', /"sideways"/);
  });

  it('reads CORS_ORIGINS as a list of exact origins, and none when unset', () => {
    assert.deepEqual(loadEnv({}).CORS_ORIGINS, []);
    const env = loadEnv({ CORS_ORIGINS: 'https://shop.example.com, http://localhost:5173' });
    assert.deepEqual(env.CORS_ORIGINS, ['https://shop.example.com', 'http://localhost:5173']);
  });

  for (const loose of ['*', 'https://shop.example.com/', 'https://shop.example.com/checkout', 'shop.example.com']) {
    it(`refuses "${loose}" in CORS_ORIGINS: exact origins only`, () => {
      const problems = problemsOf({ CORS_ORIGINS: `https://ok.example.com,${loose}` });
      assertNamed(problems, 'CORS_ORIGINS');
    });
  }

  it('treats empty-string URLs as unset (embedded infrastructure)', () => {
    const env = loadEnv({ DATABASE_URL: '', RABBITMQ_URL: '', REDIS_URL: '  ' });
    assert.equal(env.DATABASE_URL, undefined);
    assert.equal(env.RABBITMQ_URL, undefined);
    assert.equal(env.REDIS_URL, undefined);
  });

  it('never echoes the password of a malformed URL', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgres://ordo:hunter2-pw@db:5432x/ordo' });
    assertNamed(problems, 'DATABASE_URL');
    assert.ok(!problems.join('\n').includes('hunter2-pw'), problems.join('\n'));
    assert.match(problems.join('\n'), /db:5432x/, 'the rest of the value still helps the operator');
  });

  describe('with NODE_ENV=production', () => {
    it('refuses to start without JWT_SECRET, naming it', () => {
      const problems = problemsOf({ NODE_ENV: 'production' });
      assertNamed(problems, 'JWT_SECRET');
      assert.match(problems.join('\n'), /required/);
    });

    for (const weak of ['secret', 'a1b2c3d4e5', 'CHANGEME']) {
      it(`refuses a weak JWT_SECRET ("${weak}") without echoing it`, () => {
        let thrown: unknown;
        try {
          loadEnv({ NODE_ENV: 'production', JWT_SECRET: weak });
        } catch (error) {
          thrown = error;
        }
        assert.ok(thrown instanceof InvalidEnvironmentError, 'a weak secret was accepted');
        assertNamed(thrown.problems, 'JWT_SECRET');
        assert.match(thrown.problems.join('\n'), /weak/);
        assert.ok(!thrown.message.includes(weak), `the secret appears in: ${thrown.message}`);
      });
    }

    it('accepts 40 random characters', () => {
      const env = loadEnv({ NODE_ENV: 'production', JWT_SECRET: strongSecret });
      assert.equal(env.JWT_SECRET, strongSecret);
      assert.equal(env.NODE_ENV, 'production');
    });
  });

  it('does not ask for a secret outside production', () => {
    assert.equal(loadEnv({ NODE_ENV: 'development' }).JWT_SECRET, undefined);
    assert.equal(loadEnv({ NODE_ENV: 'test' }).JWT_SECRET, undefined);
  });
});

describe('node dist/src/main.js with an invalid environment', () => {
  it('prints one line naming MODE on stderr and exits with code 1', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', MODE: 'sideways', DATA_DIR: ':memory:' };
    delete env.DATABASE_URL;
    delete env.RABBITMQ_URL;
    delete env.REDIS_URL;
    delete env.JWT_SECRET;
    const child = spawn(process.execPath, [projectPath('dist', 'src', 'main.js')], {
      cwd: projectPath(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    let stderr = '';
    let stdout = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    });

    assert.equal(signal, null, `killed by ${signal} (timed out?); stderr:\n${stderr}`);
    assert.equal(code, 1, `stderr:\n${stderr}\nstdout:\n${stdout}`);
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
    assert.match(lines[0] ?? '', /MODE/);
    assert.match(lines[0] ?? '', /sideways/);
    assert.equal(stdout, '', 'nothing should start, so nothing is logged');
  });
});
