import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Env } from '../../src/config/env.schema.js';
import { createLogger } from '../../src/infra/logging/logger.js';
import { waitFor } from '../support/wait-for.js';

type LoggerEnv = Pick<Env, 'LOG_LEVEL' | 'LOG_PRETTY' | 'NODE_ENV' | 'MODE'>;

const developmentEnv: LoggerEnv = { LOG_LEVEL: 'info', LOG_PRETTY: undefined, NODE_ENV: 'development', MODE: 'all' };

/** A logger writing into memory; `text()` is everything written so far. */
function capturedLogger(env: Partial<LoggerEnv> = {}): { log: Logger; text(): string } {
  let written = '';
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      written += chunk.toString();
      done();
    },
  });
  return { log: createLogger({ ...developmentEnv, ...env }, destination), text: () => written };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Pretends stdout is (or is not) a terminal for the duration of a test. */
function stdoutIsTTY(value: boolean): void {
  Object.defineProperty(process.stdout, 'isTTY', { value, configurable: true });
}
const originalIsTTY = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');

describe('createLogger', () => {
  afterEach(() => {
    if (originalIsTTY) Object.defineProperty(process.stdout, 'isTTY', originalIsTTY);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  });

  describe('redaction', () => {
    it('never writes the Authorization header of a request', () => {
      const { log, text } = capturedLogger();
      log.info(
        { req: { method: 'GET', url: '/api', headers: { authorization: 'Bearer eyJ-very-secret' } } },
        'request',
      );
      const [line] = jsonLines(text());
      const req = line?.req as { headers: Record<string, unknown>; url: string };
      assert.equal(req.headers.authorization, '[redacted]');
      assert.equal(req.url, '/api', 'the rest of the request is still logged');
      assert.ok(!text().includes('eyJ-very-secret'));
    });

    it('never writes password, token or refreshToken fields, top-level or inside an object', () => {
      const { log, text } = capturedLogger();
      log.info({ password: 'pw-top', token: 'tok-top', refreshToken: 'rt-top', email: 'a@b.c' }, 'login');
      log.info({ user: { password: 'pw-nested', token: 'tok-nested', refreshToken: 'rt-nested', id: 7 } }, 'login');
      const [top, nested] = jsonLines(text());
      assert.equal(top?.password, '[redacted]');
      assert.equal(top?.token, '[redacted]');
      assert.equal(top?.refreshToken, '[redacted]');
      assert.equal(top?.email, 'a@b.c');
      assert.deepEqual(nested?.user, {
        password: '[redacted]',
        token: '[redacted]',
        refreshToken: '[redacted]',
        id: 7,
      });
      for (const secret of ['pw-top', 'tok-top', 'rt-top', 'pw-nested', 'tok-nested', 'rt-nested']) {
        assert.ok(!text().includes(secret), `${secret} was written: ${text()}`);
      }
    });
  });

  describe('format', () => {
    it('writes one JSON object per line when stdout is not a terminal, even in development', () => {
      stdoutIsTTY(false);
      const { log, text } = capturedLogger();
      log.info({ orderId: 'o-1' }, 'first');
      log.warn('second');
      const lines = jsonLines(text());
      assert.equal(lines.length, 2);
      assert.equal(lines[0]?.msg, 'first');
      assert.equal(lines[0]?.orderId, 'o-1');
      assert.equal(lines[0]?.mode, 'all');
      assert.equal(lines[0]?.level, 30);
      assert.equal(lines[1]?.level, 40);
    });

    it('writes JSON in production even at a terminal', () => {
      stdoutIsTTY(true);
      const { log, text } = capturedLogger({ NODE_ENV: 'production' });
      log.info('hello');
      assert.equal(jsonLines(text())[0]?.msg, 'hello');
    });

    it('writes JSON when LOG_PRETTY=false, even for a developer at a terminal', () => {
      stdoutIsTTY(true);
      const { log, text } = capturedLogger({ LOG_PRETTY: false });
      log.info('hello');
      assert.equal(jsonLines(text())[0]?.msg, 'hello');
    });

    it('writes pretty lines for a developer at a terminal', async () => {
      stdoutIsTTY(true);
      const { log, text } = capturedLogger();
      log.info({ password: 'pw-pretty' }, 'hello there');
      const written = await waitFor(() => (text().includes('hello there') ? text() : undefined), {
        what: 'a pretty line',
      });
      assert.throws(() => JSON.parse(written.trim()), 'a pretty line is not JSON');
      assert.ok(!written.includes('pw-pretty'), 'redaction applies to pretty lines too');
    });

    it('respects LOG_LEVEL', () => {
      const { log, text } = capturedLogger({ LOG_LEVEL: 'warn' });
      log.info('quiet');
      log.error('loud');
      assert.deepEqual(
        jsonLines(text()).map((line) => line.msg),
        ['loud'],
      );
    });
  });
});

describe('error serialization', () => {
  it('never writes the parameters of a failed query (they can hold password hashes)', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ LOG_LEVEL: 'info', LOG_PRETTY: false, NODE_ENV: 'test', MODE: 'all' }, sink);
    const error = new Error(
      'Failed query: insert into "users" ("password_hash") values ($1)\nparams: $argon2id$v=19$secret',
    );
    logger.error({ err: error }, 'insert failed');
    await new Promise((resolve) => setImmediate(resolve));
    const output = lines.join('');
    assert.match(output, /Failed query: insert into/);
    assert.doesNotMatch(output, /argon2id/);
  });
});
