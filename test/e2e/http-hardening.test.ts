import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { MetricsListener } from '../../src/modules/metrics/metrics-listener.js';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { expectProblem } from '../support/problems.js';
import { Shop } from '../support/shop.js';
import { waitFor } from '../support/wait-for.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends bytes as they are over a socket and parses the answer: fetch would refuse (or repair) the
 * malformed requests these tests are about.
 */
function rawRequest(baseUrl: string, request: string): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

const get = (path: string, extraHeaders = '') =>
  `GET ${path} HTTP/1.1\r\nHost: ordo.test\r\n${extraHeaders}Connection: close\r\n\r\n`;

/** A problem+json answer with this status that does not echo `secret` (a piece of the refused request). */
function expectRawProblem(response: RawResponse, status: number, secret?: string): void {
  assert.equal(response.status, status, JSON.stringify(response));
  assert.match(response.headers['content-type'] ?? '', /^application\/problem\+json/, JSON.stringify(response));
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  const body = JSON.parse(response.body) as { status: number; title: string; type: string };
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  if (secret) assert.ok(!response.body.includes(secret), `the answer echoes the request: ${response.body}`);
}

/** The distinct values of `label` in a Prometheus exposition. */
function labelValues(metrics: string, label: string): Set<string> {
  return new Set([...metrics.matchAll(new RegExp(`[{,]${label}="([^"]*)"`, 'g'))].map((match) => match[1]!));
}

describe('errors answered before Nest are problem+json (embedded)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('embedded');
  });
  after(async () => {
    await app?.close();
  });

  it('answers malformed percent-encoding in the path with 400, without echoing the path', async () => {
    expectRawProblem(await rawRequest(app.url, get('/api/%zz<script>')), 400, '<script>');
    expectRawProblem(await rawRequest(app.url, get('/pay/%E0%A4%A')), 400);
  });

  it('answers a path parameter over the router limit with 414', async () => {
    const long = 'x'.repeat(300);
    expectRawProblem(await rawRequest(app.url, get(`/pay/${long}`)), 414, long);
  });

  it('answers headers (or a URL) larger than Node accepts with 431', async () => {
    expectRawProblem(await rawRequest(app.url, get('/api/health/live', `X-Big: ${'a'.repeat(20_000)}\r\n`)), 431);
    expectRawProblem(await rawRequest(app.url, get(`/api/health/live?q=${'a'.repeat(20_000)}`)), 431);
  });

  it('answers bytes that are not HTTP with 400', async () => {
    expectRawProblem(await rawRequest(app.url, 'NOT HTTP AT ALL\r\n\r\n'), 400);
  });
});

describe('security headers (embedded)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('embedded');
  });
  after(async () => {
    await app?.close();
  });

  function expectNoFramingNoSniffing(response: Response, what: string): void {
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', what);
    assert.equal(response.headers.get('x-frame-options'), 'DENY', what);
    assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, what);
  }

  it('JSON answers, problems and the Swagger UI page carry nosniff and forbid framing', async () => {
    expectNoFramingNoSniffing(await app.request('/api/health/live'), 'a JSON answer');
    const missing = await app.request('/api/no-such-route');
    expectNoFramingNoSniffing(missing, 'a 404');
    await expectProblem(missing, 404);
    const docs = await app.request('/api/docs');
    assert.match(docs.headers.get('content-type') ?? '', /text\/html/);
    expectNoFramingNoSniffing(docs, 'the Swagger UI page');
  });

  it('an unknown checkout link (an HTML 404) forbids framing too', async () => {
    const page = await app.request('/pay/not-a-token', { as: null });
    assert.equal(page.status, 404);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    expectNoFramingNoSniffing(page, 'the checkout 404');
  });
});

for (const kind of ['embedded', 'real'] as const) {
  describe(`the checkout page and /metrics with a tenant (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let shop: Shop;
    before(async () => {
      app = await startTestApp(kind);
      shop = await Shop.open(app, 'hardened_shop');
    });
    after(async () => {
      await app?.close();
    });

    it('serves the checkout page with a strict CSP: no framing, no scripts, forms back to itself only', async () => {
      const product = await shop.product('Framed', 500, 5);
      const order = await shop.awaitingPayment(product.id);
      const page = await app.request(new URL(order.payment!.checkoutUrl).pathname, { as: null });
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /id="pay"/);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /form-action 'self'/);
      assert.doesNotMatch(csp, /script-src|unsafe-inline/);
      assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'/, 'the inline style is allowed by its hash');
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
      // The answer after pressing Pay is the same page, under the same policy.
      const paid = await shop.checkout(order, 'pay');
      assert.equal(paid.status, 200);
      assert.equal(paid.headers.get('content-security-policy'), csp);
    });

    it('names no tenant code or tenant database in /metrics, but reports the tenants outbox lag', async () => {
      // The sweeper measures every outbox every OUTBOX_SWEEP_INTERVAL_MS (500 ms in tests).
      const metrics = await waitFor(
        async () => {
          const text = await (await app.request('/metrics', { as: null })).text();
          return labelValues(text, 'database').has('tenants') ? text : undefined;
        },
        { what: 'the tenants outbox lag to be reported' },
      );
      assert.ok(!metrics.includes(shop.code), 'the tenant code appears in /metrics');
      assert.deepEqual([...labelValues(metrics, 'database')].sort(), ['control', 'tenants']);
    });
  });
}

describe('/metrics options (embedded)', () => {
  describe('METRICS_TENANT_LABELS=true', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp('embedded', { METRICS_TENANT_LABELS: 'true' });
      await Shop.open(app, 'labelled_shop');
    });
    after(async () => {
      await app?.close();
    });

    it('names each tenant database, by choice of the operator', async () => {
      await waitFor(
        async () => {
          const text = await (await app.request('/metrics', { as: null })).text();
          return [...labelValues(text, 'database')].some((name) => name.includes('labelled_shop'));
        },
        { what: 'a series labelled with the tenant database' },
      );
    });
  });

  describe('METRICS_PORT', () => {
    let app: TestApp;
    let metricsUrl: string;
    before(async () => {
      app = await startTestApp('embedded', { METRICS_PORT: '0' });
      metricsUrl = app.ordo.app.get(MetricsListener).url;
    });
    after(async () => {
      await app?.close();
    });

    it('serves /metrics on its own port and no longer on the main one', async () => {
      assert.notEqual(new URL(metricsUrl).port, new URL(app.url).port);
      const scraped = await fetch(metricsUrl);
      assert.equal(scraped.status, 200);
      assert.match(scraped.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(await scraped.text(), /^# TYPE ordo_http_request_duration_seconds histogram/m);
      await expectProblem(await app.request('/metrics', { as: null }), 404);
    });

    it('answers anything else on the metrics port with problem+json', async () => {
      await expectProblem(await fetch(new URL('/api/health/live', metricsUrl)), 404);
      await expectProblem(await fetch(metricsUrl, { method: 'POST' }), 405);
    });
  });
});

describe('Pay and Decline on the checkout page are rate limited (embedded)', () => {
  const LIMIT = 2;
  let app: TestApp;
  let shop: Shop;
  before(async () => {
    app = await startTestApp('embedded', { CHECKOUT_RATE_LIMIT: String(LIMIT) });
    shop = await Shop.open(app, 'limited_shop');
  });
  after(async () => {
    await app?.close();
  });

  it('refuses presses beyond CHECKOUT_RATE_LIMIT with 429 problem+json and Retry-After, writing nothing', async () => {
    const product = await shop.product('Declined often', 300, 5);
    const order = await shop.awaitingPayment(product.id);
    for (let press = 1; press <= LIMIT; press++) {
      const declined = await shop.checkout(order, 'decline');
      assert.equal(declined.status, 200, `press ${press}`);
      await declined.arrayBuffer();
    }
    const eventsBefore = await app.request(`${shop.base}/orders/${order.id}/payments`, { as: shop.shopper.token });
    const before = await eventsBefore.text();
    const refused = await shop.checkout(order, 'pay');
    await expectProblem(refused, 429);
    assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
    const after = await app.request(`${shop.base}/orders/${order.id}/payments`, { as: shop.shopper.token });
    assert.equal(await after.text(), before, 'the refused press changed no payment');
  });
});
