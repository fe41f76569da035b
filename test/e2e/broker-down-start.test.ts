import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { skipUnless } from '../support/app.js';
import { createRealInfra, type RealInfra } from '../support/infra.js';
import { customer, readyTenant, type Person } from '../support/people.js';
import { expectStatus } from '../support/problems.js';
import { startOrdoProcess, stopAllProcesses, type OrdoProcess } from '../support/processes.js';
import { DROPOFF } from '../support/shop.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';

const ORDERS = 5;

describe(
  'a split deployment started while RabbitMQ is down (real infrastructure)',
  { skip: await skipUnless('real') },
  () => {
    let infra: RealInfra;
    let proxy: TcpProxy;
    let env: Record<string, string>;
    let merchant: Person;
    let shopper: Person;
    let productId: string;
    const code = 'nobroker';

    const start = (mode: 'api' | 'worker' | 'scheduler', waitReady = true) =>
      startOrdoProcess({ ...env, MODE: mode }, { label: `${mode} (broker down)`, waitReady });

    before(async () => {
      infra = await createRealInfra('nobroker');
      // Every process reaches the broker only through the proxy, so stopping it is a broker outage.
      proxy = await TcpProxy.forUrl(infra.env.RABBITMQ_URL!);
      env = { ...infra.env, RABBITMQ_URL: proxy.proxied(infra.env.RABBITMQ_URL!), OUTBOX_SWEEP_INTERVAL_MS: '500' };
      // A shop to order from, set up while the broker is up (provisioning itself goes through the bus).
      const [api] = await Promise.all([start('api'), start('worker'), start('scheduler')]);
      merchant = await readyTenant(api, code);
      shopper = await customer(api, 'nobroker-shopper');
      ({ id: productId } = await expectStatus<{ id: string }>(
        await api.request(`/api/tenants/${code}/products`, {
          method: 'POST',
          json: { name: 'Umbrella', price: 1500, initialStock: 50 },
          as: merchant.token,
        }),
        201,
      ));
      await stopAllProcesses();
      await proxy.stop();
    });

    after(async () => {
      await stopAllProcesses();
      await proxy?.stop();
      await infra?.cleanup();
    });

    it('every role starts, the api takes orders into the outbox, and each is validated once the broker is back', async () => {
      const worker = await start('worker');
      await start('scheduler');
      const api = await start('api', false);
      await waitFor(async () => (await api.request('/api/health/live').catch(() => undefined))?.status === 200, {
        timeoutMs: 30_000,
        what: 'the api to serve /api/health/live with the broker down',
      });
      const ready = await api.request('/api/health/ready');
      assert.equal(ready.status, 503);
      const report = (await ready.json()) as { error: Record<string, { status: string }> };
      assert.deepEqual(Object.keys(report.error), ['bus'], 'readiness names the bus, and only the bus');

      const placed: string[] = [];
      for (let i = 0; i < ORDERS; i++) {
        const order = await expectStatus<{ id: string; status: string }>(
          await api.request(`/api/tenants/${code}/orders`, {
            method: 'POST',
            json: { items: [{ productId, quantity: 1 }], dropoff: DROPOFF },
            as: shopper.token,
          }),
          202,
        );
        assert.equal(order.status, 'PENDING');
        placed.push(order.id);
      }
      await sleep(1_000);
      const stillPending = await Promise.all(placed.map((id) => statusOf(api, id)));
      assert.deepEqual(
        stillPending,
        placed.map(() => 'PENDING'),
        'nothing is validated while the broker is down',
      );

      await proxy.start();
      await waitFor(
        async () => (await Promise.all(placed.map((id) => statusOf(api, id)))).every((s) => s === 'AWAITING_PAYMENT'),
        { timeoutMs: 60_000, what: 'every order to be validated once the broker is back' },
      );
      for (const id of placed) {
        const history = await expectStatus<{ data: { to: string }[] }>(
          await api.request(`/api/tenants/${code}/orders/${id}/events`, { as: shopper.token }),
          200,
        );
        assert.equal(
          history.data.filter((event) => event.to === 'AWAITING_PAYMENT').length,
          1,
          `order ${id} validated once`,
        );
      }
      const product = await expectStatus<{ stock: { reserved: number } }>(
        await api.request(`/api/tenants/${code}/products/${productId}`, { as: merchant.token }),
        200,
      );
      assert.equal(product.stock.reserved, ORDERS, 'each order reserved its stock once');
      // The api reconnects on its own backoff (up to 10 s between attempts), independently of the worker and
      // scheduler that validated the orders: ready once it has.
      await waitFor(async () => (await api.request('/api/health/ready')).status === 200, {
        timeoutMs: 20_000,
        what: 'the api to be ready again',
      });

      // While the broker was away the worker said so about once per 30 s window, not once per attempt.
      const complaints = worker.logs.filter(
        (line) => line.msg === 'rabbit bus could not connect; retrying with backoff',
      );
      assert.ok(complaints.length >= 1 && complaints.length <= 2, `${complaints.length} lines about connecting`);
      assert.ok(worker.logs.some((line) => line.msg === 'rabbit bus connected again'));
    });
  },
);

async function statusOf(api: OrdoProcess, id: string): Promise<string> {
  const response = await api.request(`/api/tenants/nobroker/orders/${id}`);
  return ((await response.json()) as { status: string }).status;
}
