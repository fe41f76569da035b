import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ArgumentsHost } from '@nestjs/common';
import { pino } from 'pino';
import { ProblemFilter } from '../../src/common/http/problem.filter.js';
import { TenantPoolsExhausted } from '../../src/infra/database/tenant-pool-cache.js';

/** What the filter sends for `error`, through a stand-in for Nest's HTTP host and Fastify's reply. */
function answer(error: unknown): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  const sent = { status: 0, headers: {} as Record<string, string>, body: {} as Record<string, unknown> };
  const reply = {
    status(code: number) {
      sent.status = code;
      return reply;
    },
    header(name: string, value: string) {
      sent.headers[name] = value;
      return reply;
    },
    send(body: Record<string, unknown>) {
      sent.body = body;
      return reply;
    },
  };
  const host = {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => ({ url: '/api/x', id: 'r1', method: 'GET' }), getResponse: () => reply }),
  } as unknown as ArgumentsHost;
  new ProblemFilter(pino({ level: 'silent' })).catch(error, host);
  return sent;
}

describe('problem filter', () => {
  it('answers a saturated server (every tenant pool busy) with 503 and Retry-After, not 500', () => {
    const { status, headers, body } = answer(new TenantPoolsExhausted('all 20 pools busy'));
    assert.equal(status, 503);
    assert.equal(headers['retry-after'], '1');
    assert.equal(headers['content-type'], 'application/problem+json');
    assert.equal(body.status, 503);
    assert.doesNotMatch(String(body.detail), /pools busy/, 'internals stay out of the answer');
  });

  it('answers a bug with 500 and an error id, and no Retry-After', () => {
    const { status, headers, body } = answer(new Error('boom'));
    assert.equal(status, 500);
    assert.equal(headers['retry-after'], undefined);
    assert.match(String(body.errorId), /^[0-9a-f-]{36}$/);
  });
});
