import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Env } from '../../config/env.schema.js';

/** What a checkout link names: a tenant's payment. */
export interface CheckoutTarget {
  tenant: string;
  paymentId: string;
}

/**
 * Signed checkout link tokens, `<base64url JSON>.<HMAC>`: a link names its payment without anything
 * stored for it, and a forged or altered one names nothing.
 */
export class CheckoutTokens {
  constructor(private readonly secret: string) {}

  token(target: CheckoutTarget): string {
    const payload = Buffer.from(JSON.stringify({ t: target.tenant, p: target.paymentId })).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The payment a token names, or undefined if it was not made with this secret. */
  target(token: string): CheckoutTarget | undefined {
    const [payload, mac, extra] = token.split('.');
    if (!payload || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const parsed = z
      .object({ t: z.string(), p: z.uuid() })
      .safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return parsed.success ? { tenant: parsed.data.t, paymentId: parsed.data.p } : undefined;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secret).update(`checkout.${payload}`).digest('base64url');
  }
}

/** Where customers reach Ordo from outside: the base of checkout links. */
export function publicUrl(env: Env): string {
  return (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
}
