import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signWebhook, verifyWebhook } from '../../src/modules/payments/sandbox/webhook-signature.js';

const secret = 'whsec_test_secret';
const body = JSON.stringify({ id: 'evt_1', type: 'payment.succeeded', amount: 1250, currency: 'EUR' });
const now = 1_800_000_000;

describe('sandbox webhook signatures (HMAC-SHA256 over timestamp.body)', () => {
  it('accepts what it signed, within the tolerance', () => {
    const header = signWebhook(secret, body, now - 60);
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.deepEqual(verifyWebhook(secret, body, header, now), { ok: true, timestamp: now - 60 });
  });

  it('refuses a body changed after signing', () => {
    const header = signWebhook(secret, body, now);
    const result = verifyWebhook(secret, body.replace('1250', '1'), header, now);
    assert.deepEqual(result, { ok: false, reason: 'signature does not match' });
  });

  it('refuses another secret', () => {
    assert.equal(verifyWebhook('other', body, signWebhook(secret, body, now), now).ok, false);
  });

  it('refuses a stale or future timestamp (replay protection)', () => {
    assert.deepEqual(verifyWebhook(secret, body, signWebhook(secret, body, now - 301), now), {
      ok: false,
      reason: 'signature timestamp outside tolerance',
    });
    assert.equal(verifyWebhook(secret, body, signWebhook(secret, body, now + 301), now).ok, false);
  });

  it('refuses a missing or malformed header', () => {
    assert.equal(verifyWebhook(secret, body, undefined, now).ok, false);
    assert.deepEqual(verifyWebhook(secret, body, 'v1=abc', now), { ok: false, reason: 'malformed signature header' });
    assert.deepEqual(verifyWebhook(secret, body, `t=${now},v1=zz`, now), {
      ok: false,
      reason: 'signature does not match',
    });
  });
});
