import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidEnvironmentError, loadEnv } from '../../src/config/load-env.js';
import { projectPath } from '../../src/common/project-path.js';
import { sandboxWebhookSecret, signingSecret } from '../../src/config/signing-secret.js';

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

/** A production environment that passes every check: each test takes one thing away. */
const safeProduction = {
  NODE_ENV: 'production',
  JWT_SECRET: strongSecret,
  DATABASE_URL: 'postgres://ordo@db:5432/ordo',
  PUBLIC_URL: 'https://shop.example.com',
  ALLOW_SANDBOX_PAYMENTS: 'true',
  PAYMENTS_SANDBOX_SECRET: randomBytes(30).toString('base64url'),
};

/** The production problems of `source`, and that each names a variable at most once. */
function productionProblems(source: Record<string, string>): string[] {
  const problems = problemsOf(source);
  const names = problems.map((problem) => problem.split(':')[0]);
  assert.equal(new Set(names).size, names.length, `one line per variable:\n${problems.join('\n')}`);
  return problems;
}

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
      const env = loadEnv(safeProduction);
      assert.equal(env.JWT_SECRET, strongSecret);
      assert.equal(env.NODE_ENV, 'production');
    });

    it('refuses the embedded database, the sandbox provider and a missing PUBLIC_URL, all at once', () => {
      const problems = productionProblems({ NODE_ENV: 'production', JWT_SECRET: strongSecret });
      assert.equal(problems.length, 3, problems.join('\n'));
      assertNamed(problems, 'DATABASE_URL');
      assertNamed(problems, 'PAYMENT_PROVIDER');
      assertNamed(problems, 'PUBLIC_URL');
      // Each line tells the operator the way out.
      assert.match(problems.join('\n'), /ALLOW_EMBEDDED_DATABASE=true/);
      assert.match(problems.join('\n'), /ALLOW_SANDBOX_PAYMENTS=true/);
    });

    it('refuses sandbox payments unless ALLOW_SANDBOX_PAYMENTS=true says so', () => {
      const { ALLOW_SANDBOX_PAYMENTS: _allowed, ...rest } = safeProduction;
      for (const source of [
        rest,
        { ...rest, ALLOW_SANDBOX_PAYMENTS: 'false' },
        { ...rest, PAYMENT_PROVIDER: 'sandbox' },
      ]) {
        const problems = productionProblems(source);
        assert.deepEqual(
          problems.map((problem) => problem.split(':')[0]),
          ['PAYMENT_PROVIDER'],
          problems.join('\n'),
        );
        assert.match(problems[0] ?? '', /PAID without taking money/);
      }
      assert.equal(loadEnv(safeProduction).ALLOW_SANDBOX_PAYMENTS, true);
    });

    it('refuses the embedded database unless ALLOW_EMBEDDED_DATABASE=true says so', () => {
      const { DATABASE_URL: _url, ...embedded } = safeProduction;
      const problems = productionProblems(embedded);
      assert.deepEqual(
        problems.map((problem) => problem.split(':')[0]),
        ['DATABASE_URL'],
        problems.join('\n'),
      );
      const env = loadEnv({ ...embedded, ALLOW_EMBEDDED_DATABASE: 'true' });
      assert.equal(env.DATABASE_URL, undefined);
      assert.equal(env.ALLOW_EMBEDDED_DATABASE, true);
    });

    it('refuses to start without PUBLIC_URL, the base of checkout links', () => {
      const { PUBLIC_URL: _url, ...rest } = safeProduction;
      for (const source of [rest, { ...rest, PUBLIC_URL: '' }]) {
        const problems = productionProblems(source);
        assert.deepEqual(
          problems.map((problem) => problem.split(':')[0]),
          ['PUBLIC_URL'],
          problems.join('\n'),
        );
      }
    });
  });

  it('takes the ALLOW_ flags as true or false only, so a typo is reported rather than read as false', () => {
    const problems = problemsOf({ ALLOW_SANDBOX_PAYMENTS: 'yes', ALLOW_EMBEDDED_DATABASE: '1' });
    assertNamed(problems, 'ALLOW_SANDBOX_PAYMENTS');
    assertNamed(problems, 'ALLOW_EMBEDDED_DATABASE');
  });

  it('outside production runs the embedded database, the sandbox and the local port without being asked', () => {
    for (const NODE_ENV of ['development', 'test']) {
      const env = loadEnv({ NODE_ENV });
      assert.equal(env.DATABASE_URL, undefined);
      assert.equal(env.PAYMENT_PROVIDER, 'sandbox');
      assert.equal(env.ALLOW_SANDBOX_PAYMENTS, false);
      assert.equal(env.PUBLIC_URL, undefined);
    }
  });

  it('does not ask for a secret when embedded outside production', () => {
    assert.equal(loadEnv({ NODE_ENV: 'development' }).JWT_SECRET, undefined);
    assert.equal(loadEnv({ NODE_ENV: 'test' }).JWT_SECRET, undefined);
  });

  describe('on real infrastructure (DATABASE_URL set)', () => {
    const database = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/ordo' };

    it('refuses to start in development without the shared secrets, naming each', () => {
      const problems = problemsOf({ NODE_ENV: 'development', ...database });
      assertNamed(problems, 'JWT_SECRET');
      assertNamed(problems, 'PAYMENTS_SANDBOX_SECRET');
    });

    it('starts with both set', () => {
      const env = loadEnv({
        NODE_ENV: 'development',
        ...database,
        JWT_SECRET: 'a'.repeat(40),
        PAYMENTS_SANDBOX_SECRET: 'b'.repeat(40),
      });
      assert.equal(env.JWT_SECRET, 'a'.repeat(40));
    });

    it('lets tests share fixed secrets (NODE_ENV=test only)', () => {
      assert.equal(loadEnv({ NODE_ENV: 'test', ...database }).JWT_SECRET, undefined);
    });
  });

  it('asks for both Stripe secrets when PAYMENT_PROVIDER=stripe, and checks their form', () => {
    const missing = problemsOf({ PAYMENT_PROVIDER: 'stripe' });
    assertNamed(missing, 'STRIPE_SECRET_KEY');
    assertNamed(missing, 'STRIPE_WEBHOOK_SECRET');
    const malformed = problemsOf({
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'pk_test_publishable',
      STRIPE_WEBHOOK_SECRET: 'not-a-whsec',
    });
    assertNamed(malformed, 'STRIPE_SECRET_KEY');
    assertNamed(malformed, 'STRIPE_WEBHOOK_SECRET');
    const env = loadEnv({
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_abc123',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc123',
    });
    assert.equal(env.PAYMENT_PROVIDER, 'stripe');
    assert.equal(loadEnv({}).PAYMENT_PROVIDER, 'sandbox', 'the sandbox needs no Stripe secrets');
  });
});

describe("Ordo's own secrets without their variables", () => {
  it('embedded: a random JWT key and a separate random webhook key, kept in DATA_DIR', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ordo-secrets-'));
    try {
      const env = loadEnv({ NODE_ENV: 'development', DATA_DIR: dataDir });
      const signing = signingSecret(env).secret;
      const webhooks = sandboxWebhookSecret(env).secret;
      assert.equal(signing.length, 64);
      assert.equal(webhooks.length, 64);
      assert.notEqual(webhooks, signing);
      // Not derived from the signing key: an HMAC of it under any purpose label would be 64 hex chars too,
      // so check it is what the file holds, and the same on the next start.
      assert.equal(readFileSync(join(dataDir, 'sandbox-webhook-secret'), 'utf8').trim(), webhooks);
      assert.equal(sandboxWebhookSecret(loadEnv({ NODE_ENV: 'development', DATA_DIR: dataDir })).secret, webhooks);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('the webhook key is its own variable, whatever JWT_SECRET is', () => {
    const env = loadEnv({ NODE_ENV: 'test', DATA_DIR: ':memory:', JWT_SECRET: 'j'.repeat(40) });
    assert.equal(signingSecret(env).secret, 'j'.repeat(40));
    const other = loadEnv({ NODE_ENV: 'test', DATA_DIR: ':memory:', JWT_SECRET: 'k'.repeat(40) });
    assert.equal(sandboxWebhookSecret(env).secret, sandboxWebhookSecret(other).secret);
    assert.notEqual(sandboxWebhookSecret(env).secret, 'j'.repeat(40));
  });
});

/** Runs `node dist/src/main.js` with `given` over an environment free of the runner's Ordo URLs and secret. */
async function runMain(given: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', DATA_DIR: ':memory:' };
  for (const name of [
    'DATABASE_URL',
    'RABBITMQ_URL',
    'REDIS_URL',
    'JWT_SECRET',
    'PAYMENTS_SANDBOX_SECRET',
    'PUBLIC_URL',
  ])
    delete env[name];
  const child = spawn(process.execPath, [projectPath('dist', 'src', 'main.js')], {
    cwd: projectPath(),
    env: { ...env, ...given },
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
  return { code, stdout, stderr };
}

describe('node dist/src/main.js with an invalid environment', () => {
  it('prints one line naming MODE on stderr and exits with code 1', async () => {
    const { code, stdout, stderr } = await runMain({ MODE: 'sideways' });
    assert.equal(code, 1, `stderr:\n${stderr}\nstdout:\n${stdout}`);
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
    assert.match(lines[0] ?? '', /MODE/);
    assert.match(lines[0] ?? '', /sideways/);
    assert.equal(stdout, '', 'nothing should start, so nothing is logged');
  });

  it('in production, refuses the unsafe defaults with one line each and starts nothing', async () => {
    const { code, stdout, stderr } = await runMain({ NODE_ENV: 'production', JWT_SECRET: strongSecret });
    assert.equal(code, 1, `stderr:\n${stderr}\nstdout:\n${stdout}`);
    const lines = stderr.trimEnd().split('\n');
    assert.deepEqual(
      lines.map((line) => /^Ordo cannot start: (\w+):/.exec(line)?.[1]).sort(),
      ['DATABASE_URL', 'PAYMENT_PROVIDER', 'PUBLIC_URL'],
      stderr,
    );
    assert.equal(stdout, '', 'nothing should start, so nothing is logged');
  });
});
