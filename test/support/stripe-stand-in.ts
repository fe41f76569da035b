import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

// A local stand-in for the part of Stripe's API that Ordo calls — nothing more — answering in the shapes
// Stripe's API reference documents, so the real SDK talks to it over HTTP (STRIPE_API_URL). It also plays
// Stripe's side of a payment (the customer pays, is declined, the session expires, money is refunded) and
// builds the events Stripe would then send, signed with the SDK's own test helper.
//
//   POST /v1/checkout/sessions       create a Checkout Session (Idempotency-Key honoured)
//   GET  /v1/checkout/sessions/:id   retrieve one
//   POST /v1/refunds                 refund a PaymentIntent (Idempotency-Key honoured)

export const STAND_IN_SECRET_KEY = 'sk_test_ordo_stand_in';
export const STAND_IN_WEBHOOK_SECRET = 'whsec_ordo_stand_in';

type Params = Record<string, unknown>;
type StripeObject = Record<string, unknown> & { id: string };

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  params: Params;
}

interface Stored {
  session: StripeObject;
  /** `payment_intent_data.metadata`: the PaymentIntent's, which its charges inherit. */
  intentMetadata: Record<string, string>;
  charge?: string;
}

const stripeId = (prefix: string) => `${prefix}_test_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

export class StripeStandIn {
  /** Every API request received, in order. */
  readonly requests: RecordedRequest[] = [];
  private readonly sessions = new Map<string, Stored>();
  private readonly refunds: StripeObject[] = [];
  private readonly idempotent = new Map<string, { params: string; status: number; body: unknown }>();
  /** While set, every API request fails with this HTTP status (an outage at Stripe). */
  failWith: number | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<StripeStandIn> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const standIn = new StripeStandIn(server, `http://127.0.0.1:${port}`);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      standIn.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { type: 'api_error', message: String(error) } }));
      });
    });
    return standIn;
  }

  /** What Ordo needs to take payments through this stand-in. */
  get env(): Record<string, string> {
    return {
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: STAND_IN_SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: STAND_IN_WEBHOOK_SECRET,
      STRIPE_API_URL: this.url,
    };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  session(id: string): StripeObject {
    return this.stored(id).session;
  }

  private stored(id: string): Stored {
    const stored = this.sessions.get(id);
    if (!stored) throw new Error(`stand-in: no Checkout Session ${id}`);
    return stored;
  }

  /** The Checkout Session a browser was sent to (its URL is `<stand-in>/c/pay/<id>`). */
  sessionAt(url: string): StripeObject {
    return this.session(new URL(url).pathname.split('/').at(-1)!);
  }

  // --- Stripe's side of a payment: each returns the event Stripe would send. -------------------------

  /** The customer pays: the session completes, a PaymentIntent and its charge exist. */
  complete(sessionId: string): Stripe.Event {
    const stored = this.stored(sessionId);
    Object.assign(stored.session, { status: 'complete', payment_status: 'paid', url: null });
    stored.session.payment_intent ??= stripeId('pi');
    stored.charge = stripeId('ch');
    return this.event('checkout.session.completed', stored.session);
  }

  /** The customer's card is declined; the session stays open for another try. */
  decline(sessionId: string, message = 'Your card was declined.'): Stripe.Event {
    const stored = this.stored(sessionId);
    const session = stored.session;
    session.payment_intent ??= stripeId('pi');
    return this.event('payment_intent.payment_failed', {
      id: session.payment_intent,
      object: 'payment_intent',
      amount: session.amount_total,
      currency: session.currency,
      status: 'requires_payment_method',
      metadata: stored.intentMetadata,
      last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message },
    });
  }

  /** The session expires unpaid. */
  expire(sessionId: string): Stripe.Event {
    const session = this.session(sessionId);
    Object.assign(session, { status: 'expired', url: null });
    return this.event('checkout.session.expired', session);
  }

  /** The charge is refunded in full (by Ordo's refund, or from the Dashboard). */
  refunded(sessionId: string): Stripe.Event {
    const stored = this.stored(sessionId);
    const session = stored.session;
    return this.event('charge.refunded', {
      id: stored.charge,
      object: 'charge',
      amount: session.amount_total,
      amount_captured: session.amount_total,
      amount_refunded: session.amount_total,
      currency: session.currency,
      paid: true,
      refunded: true,
      status: 'succeeded',
      payment_intent: session.payment_intent,
      // Stripe copies the PaymentIntent's metadata onto the charges it creates.
      metadata: stored.intentMetadata,
    });
  }

  /** An event as Stripe's API reference shapes it (`object: "event"`, the object in `data.object`). */
  event(type: string, object: Record<string, unknown>): Stripe.Event {
    return {
      id: stripeId('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: now(),
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    } as unknown as Stripe.Event;
  }

  /** The JSON body and `Stripe-Signature` header Stripe would send, signed by the SDK's test helper. */
  signed(
    event: Stripe.Event,
    { timestamp = now(), secret = STAND_IN_WEBHOOK_SECRET }: { timestamp?: number; secret?: string } = {},
  ): { body: string; headers: Record<string, string> } {
    const body = JSON.stringify(event, null, 2);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });
    return { body, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature } };
  }

  // --- The API. ---------------------------------------------------------------------------------------

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await body(request);
    const url = new URL(request.url ?? '/', this.url);
    const params = decodeForm(request.method === 'GET' ? url.searchParams.toString() : raw);
    const idempotencyKey = header(request, 'idempotency-key');
    this.requests.push({ method: request.method ?? '', path: url.pathname, idempotencyKey, params });
    const reply = (status: number, payload: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json', 'request-id': stripeId('req') });
      response.end(JSON.stringify(payload));
    };
    if (this.failWith) return reply(this.failWith, apiError('api_error', 'The stand-in is down'));
    if (header(request, 'authorization') !== `Bearer ${STAND_IN_SECRET_KEY}`) {
      return reply(401, apiError('invalid_request_error', 'Invalid API Key provided'));
    }
    if (request.method === 'POST' && idempotencyKey) {
      const seen = this.idempotent.get(idempotencyKey);
      if (seen && seen.params !== JSON.stringify(params)) {
        return reply(
          400,
          apiError('idempotency_error', 'Keys for idempotent requests can only be used with the same parameters'),
        );
      }
      if (seen) return reply(seen.status, seen.body);
    }
    const [status, payload] = this.route(request.method ?? '', url.pathname, params);
    if (request.method === 'POST' && idempotencyKey && status < 500) {
      this.idempotent.set(idempotencyKey, { params: JSON.stringify(params), status, body: payload });
    }
    reply(status, payload);
  }

  private route(method: string, path: string, params: Params): [number, unknown] {
    if (method === 'POST' && path === '/v1/checkout/sessions') return [200, this.createSession(params)];
    const retrieve = /^\/v1\/checkout\/sessions\/([\w]+)$/.exec(path);
    if (method === 'GET' && retrieve) {
      const stored = this.sessions.get(retrieve[1]!);
      return stored ? [200, stored.session] : missing('checkout.session', retrieve[1]!);
    }
    if (method === 'POST' && path === '/v1/refunds') return this.createRefund(params);
    return [404, apiError('invalid_request_error', `Unrecognized request URL (${method}: ${path})`)];
  }

  private createSession(params: Params): StripeObject {
    const line = (params.line_items as Params[])[0]!;
    const price = line.price_data as Params;
    const amount = Number(price.unit_amount) * Number(line.quantity);
    const id = stripeId('cs');
    const session: StripeObject = {
      id,
      object: 'checkout.session',
      amount_subtotal: amount,
      amount_total: amount,
      cancel_url: params.cancel_url ?? null,
      client_reference_id: params.client_reference_id ?? null,
      created: now(),
      currency: price.currency,
      expires_at: now() + 24 * 3600,
      livemode: false,
      metadata: params.metadata ?? {},
      mode: params.mode,
      payment_intent: null,
      payment_status: 'unpaid',
      status: 'open',
      success_url: params.success_url,
      url: `${this.url}/c/pay/${id}`,
    };
    const intentData = (params.payment_intent_data ?? {}) as Params;
    this.sessions.set(id, { session, intentMetadata: (intentData.metadata ?? {}) as Record<string, string> });
    return session;
  }

  private createRefund(params: Params): [number, unknown] {
    const stored = [...this.sessions.values()].find((each) => each.session.payment_intent === params.payment_intent);
    if (!stored) return missing('payment_intent', String(params.payment_intent));
    const refund: StripeObject = {
      id: stripeId('re'),
      object: 'refund',
      amount: params.amount === undefined ? stored.session.amount_total : Number(params.amount),
      charge: stored.charge ?? null,
      created: now(),
      currency: stored.session.currency,
      metadata: params.metadata ?? {},
      payment_intent: params.payment_intent,
      reason: null,
      status: 'succeeded',
    };
    this.refunds.push(refund);
    return [200, refund];
  }
}

function apiError(type: string, message: string) {
  return { error: { type, message } };
}

function missing(what: string, id: string): [number, unknown] {
  return [
    404,
    { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}: '${id}'` } },
  ];
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Stripe's form encoding (`line_items[0][price_data][currency]=eur`) back into nested objects and arrays. */
export function decodeForm(encoded: string): Params {
  const root: Params = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    const path = key.replace(/\]/g, '').split('[');
    let node: Record<string, unknown> = root;
    path.forEach((part, index) => {
      if (index === path.length - 1) {
        node[part] = value;
        return;
      }
      node[part] ??= /^\d+$/.test(path[index + 1]!) ? [] : {};
      node = node[part] as Record<string, unknown>;
    });
  }
  return root;
}
