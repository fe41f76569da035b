import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { ENV } from '../../../config/config.module.js';
import type { Env } from '../../../config/env.schema.js';
import { sandboxWebhookSecret } from '../../../config/signing-secret.js';
import { newId } from '../../../common/ids.js';
import { CheckoutTokens, publicUrl, type CheckoutTarget } from '../checkout-tokens.js';
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
  private readonly tokens: CheckoutTokens;

  constructor(@Inject(ENV) env: Env) {
    // Under another provider the sandbox is closed (its routes answer 404) and needs no shared key.
    this.secret = env.PAYMENT_PROVIDER === SANDBOX ? sandboxWebhookSecret(env).secret : randomBytes(32).toString('hex');
    this.publicUrl = publicUrl(env);
    this.tokens = new CheckoutTokens(this.secret);
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
    return this.tokens.token(target);
  }

  /** The payment a checkout token names, or undefined if the token was not made here. */
  checkoutTarget(token: string): CheckoutTarget | undefined {
    return this.tokens.target(token);
  }
}
