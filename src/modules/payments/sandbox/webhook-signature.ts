import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying a webhook's signature: `Ordo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'ordo-signature';

/** Webhooks older (or newer) than this are refused, so a captured one cannot be replayed later. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function digest(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** Signs `body` as sent at `timestamp` (unix seconds): the value of the Ordo-Signature header. */
export function signWebhook(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${digest(secret, timestamp, body)}`;
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * Checks a webhook's signature header against its raw body: well-formed, fresh within
 * `toleranceSeconds` of `now`, and an HMAC that matches (compared in constant time).
 */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string | undefined,
  now = Math.floor(Date.now() / 1000),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  const parts = new Map(
    header.split(',').map((part) => {
      const [key = '', ...value] = part.trim().split('=');
      return [key, value.join('=')] as const;
    }),
  );
  const timestamp = Number(parts.get('t'));
  const signature = parts.get('v1');
  if (!Number.isInteger(timestamp) || !signature) return { ok: false, reason: 'malformed signature header' };
  if (Math.abs(now - timestamp) > toleranceSeconds)
    return { ok: false, reason: 'signature timestamp outside tolerance' };
  const expected = Buffer.from(digest(secret, timestamp, body), 'hex');
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'signature does not match' };
  }
  return { ok: true, timestamp };
}
