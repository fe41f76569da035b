import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { ENV } from '../../../config/config.module.js';
import type { Env } from '../../../config/env.schema.js';
import { sandboxWebhookSecret } from '../../../config/signing-secret.js';
import { newId } from '../../../common/ids.js';
import type {
  Checkout,
  CheckoutRequest,
  PaymentProvider,
  ProviderEvent,
  RefundRequest,
  WebhookCheck,
} from '../payment-provider.port.js';
import { SIGNATURE_HEADER, signWebhook, verifyWebhook } from './webhook-signature.js';

export const SANDBOX = 'sandbox';

/**
 * The body of a sandbox webhook, shaped like a real provider's: an event id (the dedupe key), a type,
 * and the payment it is about, identified by the metadata Ordo gave at checkout (tenant, payment id).
 */
export const sandboxWebhookBody = z.strictObject({
  id: z.string().min(1).max(100),
  type: z.enum(['payment.succeeded', 'payment.failed']),
  created: z.number().int(),
  data: z.strictObject({
    tenant: z.string().regex(/^[a-z][a-z0-9_]{2,30}$/),
    payment: z.uuid(),
    amount: z.number().int().min(0),
    currency: z.string().regex(/^[A-Z]{3}$/),
    reason: z.string().max(500).optional(),
  }),
});
export type SandboxWebhookBody = z.infer<typeof sandboxWebhookBody>;

/** What a checkout token names. The token is `<base64url JSON>.<HMAC>`: nothing is stored for it. */
export interface CheckoutTarget {
  tenant: string;
  paymentId: string;
}

/**
 * The built-in provider (DESIGN §7). Checkout: a page Ordo serves itself (`/pay/<token>`), whose Pay and
 * Decline buttons make the sandbox send a signed `payment.succeeded` / `payment.failed` webhook to
 * `/api/payments/webhooks/sandbox`, exactly as a real provider would call back. Refunds always succeed,
 * at once. Outcomes are deterministic: Pay succeeds, Decline fails — nothing is random.
 *
 * Tests and scripts pay without a browser by POSTing to `/pay/<token>/pay` or `/pay/<token>/decline`,
 * or build any webhook (out of order, duplicated, wrong amount) with `signedWebhook()`.
 */
@Injectable()
export class SandboxProvider implements PaymentProvider {
  readonly name = SANDBOX;
  private readonly secret: string;
  private readonly publicUrl: string;

  constructor(@Inject(ENV) env: Env) {
    this.secret = sandboxWebhookSecret(env).secret;
    this.publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
  }

  openCheckout(request: CheckoutRequest): Checkout {
    return { providerRef: request.paymentId, checkoutUrl: `${this.publicUrl}/pay/${this.checkoutToken(request)}` };
  }

  refund(request: RefundRequest): Promise<{ providerRef: string }> {
    // Deterministic per refund id: asking twice is the same refund.
    return Promise.resolve({ providerRef: `sbx_re_${request.refundId}` });
  }

  verifyWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): WebhookCheck {
    const header = headers[SIGNATURE_HEADER];
    const signature = verifyWebhook(this.secret, rawBody, Array.isArray(header) ? header[0] : header);
    if (!signature.ok) return { ok: false, status: 401, reason: signature.reason };
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      return { ok: false, status: 400, reason: 'the body is not JSON' };
    }
    const parsed = sandboxWebhookBody.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, status: 400, reason: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` };
    }
    const { id, type, data } = parsed.data;
    const event: ProviderEvent = {
      id,
      type,
      tenant: data.tenant,
      paymentId: data.payment,
      amount: data.amount,
      currency: data.currency,
      ...(data.reason ? { reason: data.reason } : {}),
    };
    return { ok: true, event };
  }

  /** A webhook as the sandbox sends it: its JSON body and the Ordo-Signature header value. */
  signedWebhook(
    event: Omit<SandboxWebhookBody, 'id' | 'created'> & { id?: string },
    timestamp = Math.floor(Date.now() / 1000),
  ): { body: string; signature: string } {
    const body = JSON.stringify({
      id: event.id ?? `evt_${newId()}`,
      type: event.type,
      created: timestamp,
      data: event.data,
    });
    return { body, signature: signWebhook(this.secret, body, timestamp) };
  }

  checkoutToken(target: CheckoutTarget): string {
    const payload = Buffer.from(JSON.stringify({ t: target.tenant, p: target.paymentId })).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The payment a checkout token names, or undefined if the token was not made here. */
  checkoutTarget(token: string): CheckoutTarget | undefined {
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
