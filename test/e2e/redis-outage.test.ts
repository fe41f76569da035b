import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { skipUnless } from '../support/app.js';
import { createRealInfra, type RealInfra } from '../support/infra.js';
import { customer, readyTenant, type Person } from '../support/people.js';
import { expectStatus } from '../support/problems.js';
import { startOrdoProcess, stopAllProcesses, type OrdoProcess } from '../support/processes.js';
import { DROPOFF, type ShopOrder } from '../support/shop.js';
import { RealtimeClient } from '../support/sockets.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';

/**
 * A Redis outage degrades, it never crashes: split into api, worker and scheduler processes that reach
 * Redis through a proxy, the test cuts Redis off while orders are being placed and paid. Every role
 * keeps running (before the fix, each worker died within seconds of an unhandled rejection from the
 * realtime emitter's publish and crash-looped), readiness says the cache is down, every order still
 * reaches PAID, and realtime pushes resume when Redis is back.
 */
describe(
  'a Redis outage under load, separate processes (real infrastructure)',
  { skip: await skipUnless('real') },
  () => {
    const code = `redisout${process.pid}`;
    let infra: RealInfra;
    let proxy: TcpProxy;
    let api: OrdoProcess;
    let roles: OrdoProcess[];
    let merchant: Person;
    let shopper: Person;
    let productId: string;

    before(async () => {
      infra = await createRealInfra('redis_outage');
      proxy = await TcpProxy.forUrl(infra.env.REDIS_URL!);
      const env = { ...infra.env, REDIS_URL: proxy.proxied(infra.env.REDIS_URL!), OUTBOX_SWEEP_INTERVAL_MS: '500' };
      roles = await Promise.all(
        (['api', 'worker', 'scheduler'] as const).map((mode) =>
          startOrdoProcess({ ...env, MODE: mode }, { label: `redis-outage-${mode}` }),
        ),
      );
      api = roles[0]!;
      merchant = await readyTenant(api, code);
      shopper = await customer(api, 'redis-outage');
      const product = await expectStatus<{ id: string }>(
        await api.request(`/api/tenants/${code}/products`, {
          method: 'POST',
          json: { name: 'Umbrella', price: 1500, initialStock: 100 },
          as: merchant.token,
        }),
        201,
      );
      productId = product.id;
    });

    after(async () => {
      await stopAllProcesses();
      await proxy?.stop();
      await infra?.cleanup();
    });

    async function orderStatus(id: string): Promise<ShopOrder> {
      return expectStatus<ShopOrder>(
        await api.request(`/api/tenants/${code}/orders/${id}`, { as: shopper.token }),
        200,
      );
    }

    /** Places an order, pays on its checkout page, and resolves once it is PAID (or beyond). */
    async function placeAndPay(): Promise<string> {
      const placed = await expectStatus<ShopOrder>(
        await api.request(`/api/tenants/${code}/orders`, {
          method: 'POST',
          json: { items: [{ productId, quantity: 1 }], dropoff: DROPOFF },
          as: shopper.token,
        }),
        202,
      );
      const awaiting = await waitFor(
        async () => {
          const order = await orderStatus(placed.id);
          return order.payment?.checkoutUrl ? order : undefined;
        },
        { timeoutMs: 30_000, what: `order ${placed.id} to have a checkout` },
      );
      const pay = await api.request(`${new URL(awaiting.payment!.checkoutUrl).pathname}/pay`, {
        method: 'POST',
        as: null,
      });
      assert.ok(pay.status < 400, `pay answered ${pay.status}: ${await pay.text()}`);
      await waitFor(
        async () => {
          const history = await expectStatus<{ data: { to: string }[] }>(
            await api.request(`/api/tenants/${code}/orders/${placed.id}/events`, { as: shopper.token }),
            200,
          );
          return history.data.some((event) => event.to === 'PAID');
        },
        { timeoutMs: 30_000, what: `order ${placed.id} to be PAID` },
      );
      return placed.id;
    }

    const unhandled = (role: OrdoProcess) => role.logs.filter((line) => /unhandled/i.test(String(line.msg)));

    it('keeps every role running, orders flowing and readiness honest; realtime resumes after', async () => {
      const socket = await RealtimeClient.connect(api.url!, shopper.token);
      try {
        const before = await placeAndPay();
        await socket.waitForStatus(before, 'PAID');

        await proxy.stop();
        // Load while Redis is away: orders placed and paid concurrently, sessions checked without the cache.
        const during = await Promise.all(Array.from({ length: 6 }, () => placeAndPay()));
        assert.equal(during.length, 6);
        const ready = await api.request('/api/health/ready');
        assert.equal(ready.status, 503);
        assert.match(await ready.text(), /cache/);
        // Long enough for the crash the fix removed (it came within seconds of the first push).
        await sleep(3_000);
        for (const role of roles) {
          assert.equal(role.hasExited, false, `${role.label} exited during the outage:\n${role.output(40)}`);
          assert.deepEqual(unhandled(role), [], `${role.label} had an unhandled rejection`);
        }

        await proxy.start();
        await waitFor(async () => (await api.request('/api/health/ready')).status === 200, {
          timeoutMs: 30_000,
          what: 'readiness once Redis is back',
        });
        // Realtime resumes: the worker's pushes reach the socket through Redis again.
        const afterOutage = await waitFor(
          async () => {
            const id = await placeAndPay();
            return socket.statuses(id).length > 0 ? id : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 500, what: 'realtime pushes to resume' },
        );
        await socket.waitForStatus(afterOutage, 'PAID');
        for (const role of roles) assert.equal(role.hasExited, false, `${role.label} exited:\n${role.output(40)}`);
      } finally {
        socket.close();
      }
    });
  },
);
